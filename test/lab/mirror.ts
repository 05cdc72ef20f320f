import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const SUITE = 'bookworm';

/** The first `deb` URI for `suite` in a deb822 `.sources` file, skipping disabled stanzas. */
export function mirrorFromDeb822(text: string, suite = SUITE): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!.trim());
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/);
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    if (words('types').includes('deb') && words('suites').includes(suite)) return words('uris')[0];
  }
  return undefined;
}

/** The first `deb URI suite ...` line for `suite` in one-line sources.list format. */
export function mirrorFromSourcesList(text: string, suite = SUITE): string | undefined {
  for (const line of text.split('\n')) {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match && match[2] === suite) return match[1];
  }
  return undefined;
}

async function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** The Debian mirror apt on this machine uses for bookworm (never a hard-coded host). */
export async function aptMirror(root = '/etc/apt'): Promise<string> {
  const dir = join(root, 'sources.list.d');
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries.sort()) {
    const parse = entry.endsWith('.sources') ? mirrorFromDeb822 : entry.endsWith('.list') ? mirrorFromSourcesList : undefined;
    const text = parse && (await readIfExists(join(dir, entry)));
    const mirror = text && parse(text);
    if (mirror) return mirror;
  }
  const mirror = mirrorFromSourcesList((await readIfExists(join(root, 'sources.list'))) ?? '');
  if (mirror) return mirror;
  throw new Error(`No apt source for Debian ${SUITE} in ${root}/sources.list or ${dir}/: the lab image is built from that mirror`);
}

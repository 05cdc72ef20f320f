import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { sh } from '../shell/quote.js';
import { defineFact } from '../facts/fact.js';
import { expandHome } from '../inventory/controller-path.js';
import { directory, file } from './file.js';
import { change, ok, type Op } from './op.js';
import { apt } from './packages.js';

/**
 * A vendor manifest (tigera-operator.yaml, metallb-native.yaml) put on the
 * host that applies it. Two ways, chosen by the user:
 *
 * - `url`: fetched ON THE HOST at apply time (`curl`), once: the file name
 *   carries the version and a hash of the URL and is fetched only when it is
 *   not there (like `creates`), so a new version or URL fetches a new file
 *   and an unchanged one is never fetched again. `--check` cannot know the content of a file not
 *   fetched yet and says so.
 * - `file`: a copy the user keeps next to the playbook (air-gapped hosts,
 *   pinned reviews), copied from the controller like any file.
 *
 * With `sha256`, either is verified before it goes into place, and a
 * manifest fetched earlier is verified again (and fetched anew when it
 * differs): a changed `sha256` is never taken on trust. URLs are https only,
 * redirects included.
 */
export interface VendorManifestArgs {
  /** File name stem, e.g. "tigera-operator". */
  stem: string;
  version: string;
  url: string;
  /** Path on the controller; when set, copied instead of fetched. */
  file?: string;
  sha256?: string;
  /** Directory on the host. */
  dir: string;
}

/** Diffs of big generated or vendored files are not worth printing. */
const MAX_SHOWN_BYTES = 64 * 1024;

function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The sha256 of a file on the host, or undefined when it is not there. */
export const fileSha256 = defineFact('sha256', (path: string) => ({
  command: sh`if [ -f ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; fi`,
  parse: ({ stdout }): string | undefined => stdout.trim() || undefined,
}));

/** Where the manifest lands on the host. */
export function vendorManifestPath(args: VendorManifestArgs): string {
  const name = args.file ? `${args.stem}-${args.version}.yaml` : `${args.stem}-${args.version}-${sha256(args.url).slice(0, 8)}.yaml`;
  return posix.join(args.dir, name);
}

/** The ops that put the manifest in place (see VendorManifestArgs). */
export function vendorManifest(args: VendorManifestArgs): Op[] {
  const dest = vendorManifestPath(args);
  const dir = directory({ path: args.dir, mode: '0755' });
  if (args.file) {
    let content: string;
    try {
      content = readFileSync(expandHome(args.file), 'utf8');
    } catch (e) {
      throw new Error(`cannot read the manifest file ${args.file} on the controller: ${(e as Error).message}`);
    }
    if (args.sha256 && sha256(content) !== args.sha256) {
      throw new Error(`${args.file}: sha256 is ${sha256(content)}, expected ${args.sha256}`);
    }
    return [dir, hideBigDiff(file({ path: dest, content, mode: '0644' }))];
  }
  if (new URL(args.url).protocol !== 'https:') {
    throw new Error(`${args.url}: a manifest is fetched over https only (or set its file on the controller)`);
  }
  const verify = args.sha256 ? sh`echo ${`${args.sha256}  `}"$tmp" | sha256sum -c --quiet - || { echo ${`${args.url}: sha256 differs from ${args.sha256}`} >&2; exit 1; }` : sh`:`;
  const fetch = sh`set -e
tmp=$(mktemp ${`${dest}.XXXXXX`})
trap 'rm -f "$tmp"' EXIT
curl -fsSL --proto =https --proto-redir =https --retry 3 --connect-timeout 20 -o "$tmp" ${args.url}
${verify}
chmod 0644 "$tmp"
mv -f "$tmp" ${dest}
trap - EXIT`;
  const there = fileSha256(dest);
  const download: Op = {
    label: `fetch ${args.url}`,
    facts: [there],
    async plan(ctx) {
      const found = await ctx.fact(there);
      const checked = args.sha256 ? ' (sha256 checked)' : '';
      if (found !== undefined && (!args.sha256 || found === args.sha256)) return ok(`${dest} was fetched already${checked}`);
      const summary = found === undefined
        ? `fetch ${args.url} → ${dest} on the host${checked}`
        : `fetch ${args.url} → ${dest} again: its sha256 is ${found}, expected ${args.sha256}`;
      return change({ summary }, async (c) => {
        await c.run(fetch);
      });
    },
  };
  return [apt({ packages: ['curl', 'ca-certificates'] }), dir, download];
}

/** The same op with diffs of big files replaced by their size. */
function hideBigDiff(op: Op): Op {
  return {
    ...op,
    async plan(ctx) {
      const plan = await op.plan(ctx);
      if (plan.kind === 'ok') return plan;
      const changes = plan.changes.map((c) => {
        const size = typeof c.diff?.after === 'string' ? c.diff.after.length : 0;
        return size > MAX_SHOWN_BYTES ? { summary: `${c.summary} (${Math.round(size / 1024)} KiB, diff not shown)` } : c;
      });
      return { ...plan, changes };
    },
  };
}

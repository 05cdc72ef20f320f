/**
 * The OpenSSH known_hosts file format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * parsing, matching a host's presented key, and formatting new entries.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  /** 1-based line number in the file (for messages). */
  readonly line: number;
  /**
   * `@revoked` keys are refused wherever they appear. `@cert-authority` lines
   * sign host certificates, which ssh2 does not negotiate: they never match a
   * plain host key and are kept only so that nothing is silently dropped.
   */
  readonly marker?: 'revoked' | 'cert-authority';
  /** The host field as written: `a,b,[c]:2222` patterns or `|1|salt|hash`. */
  readonly hosts: string;
  readonly keyType: string;
  /** The public key blob (SSH wire format), as ssh2's hostVerifier receives it. */
  readonly key: Buffer;
}

const MARKERS: Record<string, KnownHostEntry['marker']> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };

export type HostKeyLookup =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** The host is listed, but with other keys than the one presented. */
  | { status: 'changed'; entries: KnownHostEntry[] }
  | { status: 'unknown' };

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type embedded at the start of an SSH public key blob (`ssh-ed25519`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint notation: `SHA256:` + unpadded base64 of the blob's digest. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    const hasMarker = fields[0].startsWith('@');
    const marker = hasMarker ? MARKERS[fields[0]] : undefined;
    if (hasMarker && marker === undefined) return;
    const [hosts, keyType, base64] = hasMarker ? fields.slice(1) : fields;
    if (!hosts || !keyType || !base64) return;
    const key = Buffer.from(base64, 'base64');
    // A blob that does not decode to its own declared type is a corrupt line.
    if (keyTypeOf(key) !== keyType) return;
    entries.push({ line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** Whether an entry's host field names `name` (as built by hostKeyName). */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) return hashedHostMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

export function lookupHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyLookup {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const listed = forHost.filter((e) => e.marker === undefined);
  const known = listed.find((e) => e.key.equals(key));
  if (known) return { status: 'known', entry: known };
  return listed.length > 0 ? { status: 'changed', entries: listed } : { status: 'unknown' };
}

/** The key types recorded for `name`, so the client can ask the server for one of those. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** A known_hosts line recording `key` for `name` (plain, not hashed, like `ssh-keyscan`). */
export function knownHostLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Entries of a known_hosts file; a missing file has none. */
export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends one line, creating the file (and a private ~/.ssh) if needed. */
export async function appendKnownHost(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const current = await readFile(file, 'utf8').catch(() => '');
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${separator}${line}\n`, { mode: 0o644 });
}

function hashedHostMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH host patterns: `*` any run of characters, `?` one character. */
function globMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

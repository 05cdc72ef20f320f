import { posix } from 'node:path';
import { defineFact } from '../facts/fact.js';
import { sh } from '../shell/quote.js';

/**
 * systemd-networkd conventions shared by the roles that write its files.
 *
 * networkd applies the FIRST `.network` file (in lexical order of file names,
 * across /etc, /run and /usr/lib) whose [Match] fits a link, so labwright's
 * files are named `10-labwright-<link>.*`: they sort before the usual
 * `20-…`/`50-…` hand-written files, before Netplan's generated
 * `10-netplan-…` ("l" < "n") and before the distribution's `80-…`/`99-…`.
 */
export const NETWORKD_DIR = '/etc/systemd/network';
export const NETWORKD_PREFIX = '10-labwright-';

export function networkdFile(link: string, kind: 'network' | 'netdev'): string {
  return posix.join(NETWORKD_DIR, `${NETWORKD_PREFIX}${link}.${kind}`);
}

/** The drop-in directory that extends the `.network` file at `networkFile` (its basename + ".d"). */
export function networkdDropInDir(networkFile: string): string {
  return posix.join(NETWORKD_DIR, `${posix.basename(networkFile)}.d`);
}

/** Linux interface names: 1–15 characters, no "/", ":" or whitespace, not "." or "..". */
export const IFNAME = /^(?!\.\.?$)[A-Za-z0-9_.@-]{1,15}$/;

/** A link as networkd sees it (`networkctl --json=short list`). */
export interface NetworkdLink {
  name: string;
  /** "unmanaged", "configuring", "configured", "failed", "linger", "pending", "initialized". */
  state: string;
  operational: string;
  /** The `.network` file networkd applies to it, if it manages it. */
  networkFile?: string;
}

/** networkd's view of every link; empty when networkd is not running. */
export const networkdLinks = defineFact('networkd-links', () => ({
  command: sh`networkctl --json=short list 2>/dev/null`,
  parse: ({ stdout, code }): NetworkdLink[] => {
    if (code !== 0 || !stdout.trim().startsWith('{')) return [];
    const data = JSON.parse(stdout) as { Interfaces?: { Name: string; AdministrativeState?: string; OperationalState?: string; NetworkFile?: string }[] };
    return (data.Interfaces ?? []).map((i) => ({
      name: i.Name,
      state: i.AdministrativeState ?? 'unknown',
      operational: i.OperationalState ?? 'unknown',
      networkFile: i.NetworkFile || undefined,
    }));
  },
}));

/** An INI section as networkd reads it: keys may repeat (Address=, DNS=). Entries with undefined values are left out. */
export interface IniSection {
  name: string;
  entries: readonly (readonly [string, string | number | boolean | undefined])[];
}

/** Renders systemd unit-file sections; booleans become yes/no. Empty sections are dropped. */
export function renderIni(header: string, sections: readonly IniSection[]): string {
  const blocks = sections
    .map((s) => {
      const lines = s.entries
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`);
      return lines.length > 0 ? `[${s.name}]\n${lines.join('\n')}\n` : '';
    })
    .filter(Boolean);
  return `${header}${blocks.join('\n')}`;
}

/** Names of the regular files in NETWORKD_DIR whose name starts with `prefix` (sorted). */
export const networkdFiles = defineFact('networkd-files', (prefix: string = NETWORKD_PREFIX) => ({
  command: sh`find ${NETWORKD_DIR} -maxdepth 1 -type f -name ${`${prefix}*`} -printf '%f\\n' 2>/dev/null | sort`,
  parse: ({ stdout }): string[] => stdout.split('\n').filter(Boolean),
}));

import { defineFact } from '../../src/facts/fact.js';
import type { LinkState } from '../../src/net/link-state.js';
import { sh } from '../../src/shell/quote.js';
import type { Link, NicMatch } from './model.js';

/**
 * NICs found by `match` (name glob, MAC, driver) instead of by name: which
 * live links a configuration applies to, so that activation, drift checks,
 * the lock-out rollback and the hand-over act on the real interface names.
 */

/** Each link's kernel driver (`/sys/class/net/IF/device/driver`); links without a device (bridges, veths) have none. */
export const nicDrivers = defineFact('nic-drivers', () => ({
  command: sh`for d in /sys/class/net/*; do [ -e "$d/device/driver" ] && printf '%s %s\n' "\${d##*/}" "$(basename "$(readlink -f "$d/device/driver")")"; done; true`,
  parse: ({ stdout }): Record<string, string> =>
    Object.fromEntries(
      stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => p.length === 2),
    ),
}));

/** A shell glob (`*`, `?`, `[…]`, `[!…]`) as networkd's fnmatch reads it, as a RegExp over the whole string. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether the live link fits every key of `match`, as networkd decides: a MAC
 * is the permanent one (PermanentMACAddress=), which only a device NIC has (a
 * veth or another created link has a random MAC and none); a driver match
 * needs the link's driver.
 */
export function nicMatches(match: NicMatch, link: Pick<LinkState, 'name' | 'mac' | 'permanentMac' | 'kind'>, driver: string | undefined): boolean {
  if (match.name !== undefined && !globRegExp(match.name).test(link.name)) return false;
  if (match.mac !== undefined && (link.kind !== undefined || (link.permanentMac ?? link.mac)?.toLowerCase() !== match.mac)) return false;
  if (match.driver !== undefined && (driver === undefined || !globRegExp(match.driver).test(driver))) return false;
  return true;
}

/** The `[Match]` of a networkd file we wrote (undefined: it matches by the link's own name `key`). */
export function matchOfNetworkFile(content: string, key: string): NicMatch | undefined {
  const section = /^\[Match\]\n((?:[^[\n].*\n?)*)/m.exec(content)?.[1] ?? '';
  const get = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(section)?.[1]?.trim();
  const m: NicMatch = { name: get('Name'), mac: (get('PermanentMACAddress') ?? get('MACAddress'))?.toLowerCase(), driver: get('Driver') };
  if (m.mac === undefined && m.driver === undefined && (m.name === undefined || m.name === key)) return undefined;
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as NicMatch;
}

/** A NIC's `match:` in our Netplan file, as a NicMatch. */
export function matchOfNetplan(device: Record<string, unknown>): NicMatch | undefined {
  const m = device.match as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return Object.fromEntries(
    Object.entries({ name: str(m.name), mac: str(m.macaddress)?.toLowerCase(), driver: str(m.driver) }).filter(([, v]) => v !== undefined),
  ) as NicMatch;
}

/** Live names of a configuration: its own name, or every live link its match fits. */
export function liveNamesOf(name: string, match: NicMatch | undefined, live: readonly LinkState[], drivers: Readonly<Record<string, string>>): string[] {
  if (!match) return [name];
  return live.filter((l) => nicMatches(match, l, drivers[l.name])).map((l) => l.name);
}

/**
 * The model as the host has it: a NIC found by `match` becomes one link per
 * live interface it fits (named as the kernel names it, `config` its
 * configuration's name); links without a match stay as they are.
 */
export function liveModel(model: readonly Link[], live: readonly LinkState[], drivers: Readonly<Record<string, string>>): Link[] {
  return model.flatMap((l) => (l.match ? liveNamesOf(l.name, l.match, live, drivers).map((name) => ({ ...l, name, config: l.name })) : [l]));
}

/** Whether any of these matches needs the drivers fact. */
export function needsDrivers(matches: readonly (NicMatch | undefined)[]): boolean {
  return matches.some((m) => m?.driver !== undefined);
}

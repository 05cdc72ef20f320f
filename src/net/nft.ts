import { isCidr, isIp, parseCidr, parseIp, contains } from './address.js';

/**
 * nftables syntax helpers: every value a role puts into an nft ruleset goes
 * through here, so identifiers, strings, ports and address sets are valid and
 * cannot break out of the statement they are in.
 */

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** A table, chain or set name (letters, digits, `_`; starts with a letter). */
export function nftIdentifier(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new RangeError(`invalid nft identifier "${name}": use letters, digits and _ (starting with a letter)`);
  }
  return name;
}

/** Why a text cannot be an nft string (comment, interface name), or undefined when it can. */
export function nftStringProblem(s: string, maxBytes = 128): string | undefined {
  if (/["\\\r\n]/.test(s)) return 'may not contain ", \\ or a line break';
  if (Buffer.byteLength(s, 'utf8') > maxBytes) return `is longer than ${maxBytes} bytes`;
  return undefined;
}

/** A double-quoted nft string; nft has no escapes, so quotes, backslashes and line breaks are refused. */
export function nftString(s: string, maxBytes = 128): string {
  const problem = nftStringProblem(s, maxBytes);
  if (problem) throw new RangeError(`nft string "${s}" ${problem}`);
  return `"${s}"`;
}

/** Why a port or "first-last" range is invalid, or undefined. */
export function nftPortProblem(p: number | string): string | undefined {
  const text = String(p).trim();
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
  if (!m) return `"${text}" is not a port or a range like 30000-32767`;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < 1 || last > 65535) return `port ${text} is outside 1-65535`;
  if (last < first) return `range ${text} ends before it starts`;
  return undefined;
}

/** A port or range in nft form ("443", "30000-32767"). */
export function nftPort(p: number | string): string {
  const problem = nftPortProblem(p);
  if (problem) throw new RangeError(problem);
  const [a, b] = String(p).split('-').map((x) => Number(x.trim()));
  return b === undefined || a === b ? String(a) : `${a}-${b}`;
}

function portKey(p: string): number {
  return Number(p.split('-')[0]);
}

/** Ports in nft form, deduplicated and sorted by first port. */
export function nftPorts(ports: readonly (number | string)[]): string[] {
  return [...new Set(ports.map(nftPort))].sort((a, b) => portKey(a) - portKey(b) || a.localeCompare(b));
}

/** One element bare, several as an anonymous set: `22` or `{ 80, 443 }`. */
export function nftSetExpr(elements: readonly string[]): string {
  if (elements.length === 0) throw new RangeError('an nft set expression needs at least one element');
  return elements.length === 1 ? elements[0] : `{ ${elements.join(', ')} }`;
}

export interface AddressesByFamily {
  v4: string[];
  v6: string[];
}

/**
 * Addresses and CIDRs split by family, in canonical form (host bits of a CIDR
 * cleared, /32 and /128 written as plain addresses), deduplicated, without
 * entries another entry already covers (nft refuses overlapping intervals),
 * and sorted.
 */
export function addressesByFamily(items: readonly string[]): AddressesByFamily {
  const entries = items.map((raw) => {
    const s = raw.trim();
    if (isIp(s)) {
      const a = parseIp(s);
      return { kind: a.kind(), text: a.toString(), cidr: parseCidr(`${a.toString()}/${a.kind() === 'ipv4' ? 32 : 128}`) };
    }
    if (isCidr(s)) {
      const c = parseCidr(s);
      const full = c.address.kind() === 'ipv4' ? 32 : 128;
      return { kind: c.address.kind(), text: c.prefix === full ? c.address.toString() : c.text, cidr: c };
    }
    throw new RangeError(`"${raw}" is not an IP address or CIDR`);
  });
  const unique = [...new Map(entries.map((e) => [e.text, e])).values()];
  const kept = unique.filter(
    (e) => !unique.some((o) => o !== e && o.cidr.prefix < e.cidr.prefix && contains(o.cidr, e.cidr.address)),
  );
  const sortKey = (e: (typeof kept)[number]) => e.cidr.address.toByteArray().map((b) => b.toString(16).padStart(2, '0')).join('') + `/${e.cidr.prefix}`;
  const sorted = kept.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  return {
    v4: sorted.filter((e) => e.kind === 'ipv4').map((e) => e.text),
    v6: sorted.filter((e) => e.kind === 'ipv6').map((e) => e.text),
  };
}

/**
 * The head of a file that replaces ONE table atomically when loaded with
 * `nft -f` (the whole file is one kernel transaction): create the table if
 * missing so the delete cannot fail, delete it, then the new definition
 * follows. Other tables (kube-proxy, Calico, Docker) are not touched, unlike
 * `flush ruleset`.
 */
export function nftReplaceTablePrelude(family: NftFamily, table: string): string {
  const t = `${family} ${nftIdentifier(table)}`;
  return `table ${t} {}\ndelete table ${t}\n`;
}

import ipaddr from 'ipaddr.js';
import { defineFact } from '../facts/fact.js';
import { sh, type Command } from '../shell/quote.js';
import { isCidr, isIp, numberToV4, parseCidr, parseIp, parseV4Range, v4ToNumber } from './address.js';

/**
 * Kernel routes as `ip route` sees them: a typed fact for the live table, the
 * one canonical form of a destination, matching a wanted route against the
 * live ones (drift), and the `ip route replace/del` commands. Static routes,
 * the networking role's rollback snapshot and anything else that touches the
 * routing table go through here.
 */

/** A route as wanted: `to` is a canonical CIDR ("10.4.11.0/24", "2001:db8::/64") or "default" / "default6". */
export interface RouteSpec {
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
  onlink?: boolean;
  /** Routing table number; undefined = main (254). */
  table?: number;
  /** Preferred source address (`src`). */
  src?: string;
}

/** One live route (main or a numbered table), from `ip -j route show`. */
export interface LiveRoute {
  /** Canonical CIDR, or "default" / "default6". */
  to: string;
  family: 4 | 6;
  via?: string;
  dev?: string;
  metric: number;
  onlink: boolean;
  protocol?: string;
  scope?: string;
  src?: string;
  type?: string;
}

/** "default", "0.0.0.0/0" → "default"; "::/0" → "default6"; "10.0.0.7/24" → "10.0.0.0/24"; "10.0.0.7" → "10.0.0.7/32". */
export function canonicalDestination(to: string, family?: 4 | 6): string {
  const t = to.trim();
  if (t === 'default') return family === 6 ? 'default6' : 'default';
  if (t === 'default6') return 'default6';
  if (isIp(t)) {
    const a = parseIp(t);
    return `${a.toString()}/${a.kind() === 'ipv4' ? 32 : 128}`;
  }
  if (!isCidr(t)) throw new RangeError(`"${to}" is not a destination: expected a CIDR such as 10.4.11.0/24, an address, or "default"`);
  const c = parseCidr(t);
  if (c.prefix === 0) return c.address.kind() === 'ipv4' ? 'default' : 'default6';
  return c.text;
}

/** The address family of a canonical destination. */
export function destinationFamily(to: string): 4 | 6 {
  if (to === 'default') return 4;
  if (to === 'default6') return 6;
  return parseCidr(to).address.kind() === 'ipv4' ? 4 : 6;
}

/** The destination as `ip route` takes it ("default" for both families, with -6 where needed). */
function ipDestination(to: string): string {
  return to === 'default6' ? 'default' : to;
}

/** The kernel's metric when none is given: 0 for IPv4, 1024 for IPv6. */
export function effectiveMetric(r: Pick<RouteSpec, 'metric' | 'to'>): number {
  return r.metric ?? (destinationFamily(r.to) === 6 ? 1024 : 0);
}

/** Whether `a` and `b` are the same IP address ("fe80::1" = "fe80:0::1"). */
function sameIp(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return isIp(a) && isIp(b) ? parseIp(a).toString() === parseIp(b).toString() : a === b;
}

/** Whether `ip route replace` for `want` would replace `live` (same key: destination, metric, table). */
export function sameRouteKey(want: RouteSpec, live: LiveRoute): boolean {
  return want.to === live.to && effectiveMetric(want) === live.metric;
}

/** Whether the live route is exactly the wanted one (no drift). `dev` must be resolved in `want`. */
export function routeMatches(want: RouteSpec, live: LiveRoute): boolean {
  return (
    sameRouteKey(want, live) &&
    sameIp(want.via, live.via) &&
    (want.dev === undefined || want.dev === live.dev) &&
    Boolean(want.onlink) === live.onlink &&
    (want.src === undefined || sameIp(want.src, live.src))
  );
}

/** Human text of a route: "10.4.11.0/24 via 10.4.0.20 dev eth0 metric 100 onlink (table 100)". */
export function describeRoute(r: RouteSpec | LiveRoute): string {
  const parts = [r.to === 'default6' ? 'default (IPv6)' : r.to];
  if (r.via) parts.push(`via ${r.via}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  if (r.metric !== undefined && r.metric !== 0 && !(destinationFamily(r.to) === 6 && r.metric === 1024)) parts.push(`metric ${r.metric}`);
  if (r.onlink) parts.push('onlink');
  if (r.src) parts.push(`src ${r.src}`);
  if ('table' in r && r.table !== undefined && r.table !== 254) parts.push(`table ${r.table}`);
  return parts.join(' ');
}

/** The words after `ip route replace|del` for a route (quoted by `sh` when interpolated). */
export function routeArgs(r: RouteSpec): string[] {
  const args = [ipDestination(r.to)];
  if (r.via) args.push('via', r.via);
  if (r.dev) args.push('dev', r.dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  if (r.onlink) args.push('onlink');
  if (r.src) args.push('src', r.src);
  if (r.table !== undefined) args.push('table', String(r.table));
  return args;
}

function familyFlag(r: RouteSpec): string {
  return destinationFamily(r.to) === 6 ? '-6' : '-4';
}

/** `ip route replace …`: idempotent (adds, or replaces the route with the same destination/metric/table). */
export function routeReplaceCommand(r: RouteSpec): Command {
  return sh`ip ${familyFlag(r)} route replace ${routeArgs(r)} proto static`;
}

/** `ip route del …` for exactly this route (destination, metric, table; gateway/dev when given). */
export function routeDelCommand(r: RouteSpec): Command {
  return sh`ip ${familyFlag(r)} route del ${routeArgs({ ...r, onlink: false, src: undefined, metric: effectiveMetric(r) })}`;
}

interface RawRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  flags?: string[];
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  type?: string;
}

/**
 * Parses the output of `ip -j -4 route show …; echo; ip -j -6 route show …`:
 * one JSON array per line, IPv4 first, then IPv6.
 */
export function parseRouteJson(stdout: string): LiveRoute[] {
  const out: LiveRoute[] = [];
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('['));
  for (const [i, line] of lines.entries()) {
    const family: 4 | 6 = i === 0 ? 4 : 6;
    for (const r of JSON.parse(line) as RawRoute[]) {
      let to: string;
      try {
        to = canonicalDestination(r.dst, family);
      } catch {
        continue; // "unreachable"/"blackhole" forms or anything we do not manage
      }
      out.push({
        to,
        family,
        via: r.gateway,
        dev: r.dev,
        metric: r.metric ?? (family === 6 ? 1024 : 0),
        onlink: (r.flags ?? []).includes('onlink'),
        protocol: r.protocol,
        scope: r.scope,
        src: r.prefsrc,
        type: r.type,
      });
    }
  }
  return out;
}

/** Live IPv4 and IPv6 routes of one table (254 = main). */
export const liveRoutes = defineFact('ip-routes', (table: number = 254) => ({
  command: sh`ip -j -4 route show table ${table}; echo; ip -j -6 route show table ${table}; echo`,
  parse: ({ stdout }) => parseRouteJson(stdout),
}));

/** The interface the kernel would use to reach `ip` (`ip -j route get`, read-only, sends nothing). */
export const routeGet = defineFact('ip-route-get', (ip: string) => ({
  command: sh`ip -j route get ${ip}`,
  parse: ({ stdout, code }): { dev?: string; via?: string; src?: string } | undefined => {
    if (code !== 0) return undefined;
    const [r] = JSON.parse(stdout || '[]') as { dev?: string; gateway?: string; prefsrc?: string }[];
    return r ? { dev: r.dev, via: r.gateway, src: r.prefsrc } : undefined;
  },
}));

/**
 * The smallest list of CIDRs covering an inclusive IPv4 range exactly:
 * "10.4.11.0 - 10.4.15.255" → 10.4.11.0/24, 10.4.12.0/22. A CIDR comes back as itself.
 * (MetalLB pools are often written as ranges; routes need prefixes.)
 */
export function v4RangeToCidrs(range: string): string[] {
  const { first, last } = parseV4Range(range);
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 1;
    // grow the block while it stays aligned and inside the range
    while (size < 2 ** 32 && cur % (size * 2) === 0 && cur + size * 2 - 1 <= last) size *= 2;
    out.push(`${numberToV4(cur)}/${32 - Math.log2(size)}`);
    cur += size;
  }
  return out;
}

/** Whether `s` is an IPv4 range "a - b" (as MetalLB writes pools). */
export function isV4Range(s: string): boolean {
  const parts = s.split('-').map((p) => p.trim());
  return parts.length === 2 && parts.every((p) => ipaddr.IPv4.isValidFourPartDecimal(p)) && v4ToNumber(parts[0]) <= v4ToNumber(parts[1]);
}

/** A dotted-quad IPv4 or an IPv6 address (not the short forms "10.1" ipaddr.js also accepts). */
export function isStrictIp(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s) || (s.includes(':') && ipaddr.IPv6.isValid(s));
}

/** An address with a prefix, strictly: "10.4.0.11/20", "2001:db8::1/64". */
export function isStrictCidr(s: string): boolean {
  const [a, p, ...rest] = s.split('/');
  return rest.length === 0 && p !== undefined && /^\d{1,3}$/.test(p) && isStrictIp(a) && ipaddr.isValidCIDR(s);
}

/** 4 or 6 for a strictly valid address, else undefined. */
export function ipFamily(s: string): 4 | 6 | undefined {
  return isStrictIp(s) ? (s.includes(':') ? 6 : 4) : undefined;
}

import ipaddr from 'ipaddr.js';

/** IPv4/IPv6 address math for roles and the address-plan check, all through ipaddr.js. */

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  address: Address;
  prefix: number;
  /** Canonical text, network address / prefix: "10.0.0.0/24". */
  text: string;
}

export function isIp(s: string): boolean {
  return ipaddr.isValid(s);
}

export function parseIp(s: string): Address {
  return ipaddr.parse(s);
}

/** "10.0.0.7/24" → the network 10.0.0.0/24 (host bits cleared). */
export function parseCidr(s: string): Cidr {
  const [addr, prefix] = ipaddr.parseCIDR(s);
  const network = addr.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(s)
    : ipaddr.IPv6.networkAddressFromCIDR(s);
  return { address: network, prefix, text: `${network.toString()}/${prefix}` };
}

export function isCidr(s: string): boolean {
  return ipaddr.isValidCIDR(s);
}

export function contains(cidr: Cidr | string, ip: string | Address): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const a = typeof ip === 'string' ? ipaddr.parse(ip) : ip;
  return a.kind() === c.address.kind() && a.match(c.address, c.prefix);
}

/** IPv4 address ↔ 32-bit number, for ranges. */
export function v4ToNumber(ip: string | Address): number {
  const a = typeof ip === 'string' ? ipaddr.IPv4.parse(ip) : (ip as ipaddr.IPv4);
  return a.octets.reduce((n, o) => n * 256 + o, 0);
}

export function numberToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** First and last address of an IPv4 CIDR (network and broadcast). */
export function v4Bounds(cidr: Cidr | string): { first: number; last: number } {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const first = v4ToNumber(c.address);
  return { first, last: first + 2 ** (32 - c.prefix) - 1 };
}

/** The n-th address of an IPv4 subnet (1 = first host); negative counts back from broadcast (-1 = broadcast - 1). */
export function nthHost(cidr: Cidr | string, n: number): string {
  const { first, last } = v4Bounds(cidr);
  const v = n >= 0 ? first + n : last + n;
  if (v <= first || v >= last) throw new RangeError(`host number ${n} is outside ${typeof cidr === 'string' ? cidr : cidr.text}`);
  return numberToV4(v);
}

export function broadcast(cidr: Cidr | string): string {
  return numberToV4(v4Bounds(cidr).last);
}

export function netmask(cidr: Cidr | string): string {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  return ipaddr.IPv4.subnetMaskFromPrefixLength(c.prefix).toString();
}

/** An inclusive IPv4 range; accepts "a-b", "a - b" (MetalLB trims spaces) and CIDRs. */
export interface V4Range {
  first: number;
  last: number;
  text: string;
}

export function parseV4Range(s: string): V4Range {
  const text = s.trim();
  if (text.includes('-')) {
    const [a, b] = text.split('-').map((p) => p.trim());
    const first = v4ToNumber(a);
    const last = v4ToNumber(b);
    if (last < first) throw new RangeError(`range ${text}: ${b} comes before ${a}`);
    return { first, last, text: `${a}-${b}` };
  }
  const { first, last } = v4Bounds(text);
  return { first, last, text: parseCidr(text).text };
}

export function rangesOverlap(a: { first: number; last: number }, b: { first: number; last: number }): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const ca = parseCidr(a);
  const cb = parseCidr(b);
  if (ca.address.kind() !== cb.address.kind()) return false;
  return contains(ca, cb.address) || contains(cb, ca.address);
}

/** A MAC address normalised to lower-case colon form; throws on anything else. */
export function normaliseMac(mac: string): string {
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12 || !/^([0-9a-f]{2}[:-]?){5}[0-9a-f]{2}$/i.test(mac.trim())) throw new RangeError(`invalid MAC address "${mac}"`);
  return hex.match(/../g)!.join(':');
}

import ipaddr from 'ipaddr.js';
import type { IpAddress } from '../facts/builtin.js';
import type { Host, Inventory } from '../inventory/types.js';
import { contains, isIp, parseIp } from './address.js';

/**
 * Where other hosts reach a host: its inventory address (`ansible_host`, else
 * the inventory name). Roles use it to derive peers and backends from group
 * membership, so an address is written once, in the inventory.
 */
export function hostAddress(host: Host): string {
  return host.connection.address;
}

export interface GroupMember {
  name: string;
  address: string;
}

/** The hosts of `group` (and its descendants), in inventory order, with their addresses. */
export function groupMembers(inventory: Inventory, group: string): GroupMember[] {
  const g = inventory.groups.get(group);
  if (!g) return [];
  return g.hosts.flatMap((name) => {
    const host = inventory.hosts.get(name);
    return host ? [{ name, address: hostAddress(host) }] : [];
  });
}

/** The interface (from the `interfaces` fact) that holds `ip`, if any. */
export function interfaceHolding(ifaces: readonly IpAddress[], ip: string): IpAddress | undefined {
  if (!isIp(ip)) return undefined;
  const want = parseIp(ip).toString();
  return ifaces.find((i) => i.addresses.some((a) => isIp(a.local) && parseIp(a.local).toString() === want));
}

/**
 * The interface with an address whose subnet contains `ip` (the interface an
 * extra address such as a VIP belongs on), with that address. Loopback and
 * `ip` itself (a VIP this host holds right now) are skipped, so the answer is
 * the same whether or not the host holds it. Longest prefix wins.
 */
export function interfaceOnSubnetOf(
  ifaces: readonly IpAddress[],
  ip: string,
): { iface: IpAddress; local: string; prefixlen: number } | undefined {
  if (!isIp(ip)) return undefined;
  const target = parseIp(ip);
  let best: { iface: IpAddress; local: string; prefixlen: number } | undefined;
  for (const iface of ifaces) {
    if (iface.ifname === 'lo') continue;
    for (const a of iface.addresses) {
      if (!isIp(a.local) || parseIp(a.local).kind() !== target.kind()) continue;
      if (parseIp(a.local).toString() === target.toString()) continue;
      if (!contains(`${a.local}/${a.prefixlen}`, target)) continue;
      if (!best || a.prefixlen > best.prefixlen) best = { iface, local: a.local, prefixlen: a.prefixlen };
    }
  }
  return best;
}

/**
 * An IPv4 address in four-part decimal form. (ipaddr.js alone also accepts
 * inet_aton forms such as "10.1", which would silently mean another address.)
 */
export function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** `a.b.c.d` or `a.b.c.d/len` (IPv4), split; undefined when it is neither. */
export function parseIpv4WithPrefix(text: string): { address: string; prefix?: number } | undefined {
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m || !isIpv4(m[1]!)) return undefined;
  const prefix = m[2] === undefined ? undefined : Number(m[2]);
  if (prefix !== undefined && prefix > 32) return undefined;
  return { address: ipaddr.IPv4.parse(m[1]!).toString(), prefix };
}

import type { Host } from '../inventory/types.js';
import { contains, parseIp } from '../net/address.js';
import { ADDRESS_VARS, lanOf } from '../net/lan.js';
import { isIpv4 } from '../net/host-address.js';

/** The ssh port: another one means the address is a port forward (NAT, Vagrant), shared by several hosts. */
const SSH_PORT = 22;

/**
 * The addresses a host puts on the LAN, which no other host may claim: its
 * `ip`, and its `ansible_host` (or `address`) only when that is its own
 * address there - inside its `lan.subnet` (when one is set) and reached on
 * port 22. Hosts sharing one `ansible_host` on different ports are distinct
 * SSH endpoints behind a port forward, not owners of that address; a
 * loopback address is never a node's.
 */
export function nodeAddresses(host: Host): string[] {
  const subnet = lanOf(host).subnet;
  const forwarded = host.connection.port !== SSH_PORT;
  const claimed = ADDRESS_VARS.flatMap((key) => {
    const value = host.vars[key];
    if (typeof value !== 'string' || !isIpv4(value) || parseIp(value).range() === 'loopback') return [];
    if (key === 'ip') return [value];
    return !forwarded && (subnet === undefined || contains(subnet, value)) ? [value] : [];
  });
  return [...new Set(claimed)];
}

import type { IpAddress } from '../../src/facts/builtin.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { contains, parseCidr } from '../../src/net/address.js';
import { clusterOf } from '../../src/net/cluster.js';
import { apiServerPort, haproxyApiFrontend, isControlPlane } from '../../src/net/control-plane-endpoint.js';
import { groupMembers, hostAddress, interfaceHolding, interfaceOnSubnetOf, parseIpv4WithPrefix, type GroupMember } from '../../src/net/host-address.js';
import { hostAddressIn, lanOf } from '../../src/net/lan.js';
import type { Claim } from '../../src/plan/claims.js';
import type { Secret } from '../../src/secret.js';
import type { KeepalivedVars } from './vars.js';

export class KeepalivedConfigError extends Error {}

/** Everything the template needs (every key present: the template is strict). */
export interface KeepalivedModel {
  routerId: string;
  scriptUser: string;
  track: { name: string; script: string; interval: number; fall: number; rise: number; weight: number } | null;
  /** `track_interface` entries: their loss puts the instance in FAULT. */
  trackInterfaces: string[];
  instance: {
    name: string;
    state: 'BACKUP' | 'MASTER';
    interface: string;
    virtualRouterId: number;
    priority: number;
    advertInt: number;
    nopreempt: boolean;
    preemptDelay: number | null;
    unicast: { src: string; peers: string[] } | null;
    authPass: Secret | null;
    vip: string;
  };
  extra: string | null;
}

/** The VIP's default VRID: its last octet (unique for VIPs within one /24). */
export function defaultVirtualRouterId(vip: string): number {
  const parsed = parseIpv4WithPrefix(vip);
  if (!parsed) throw new KeepalivedConfigError(`keepalived.vip ${vip} is not an IPv4 address`);
  const last = Number(parsed.address.split('.')[3]);
  if (last === 0) {
    throw new KeepalivedConfigError(`keepalived.vip ${vip} ends in .0, which is no VRID: set keepalived.virtual_router_id (1-255, unique on the segment)`);
  }
  return last;
}

/**
 * The subnet of the VIP's L2 segment when the inventory says it: the VIP's own
 * prefix, else the shared `lan.subnet` when it contains the VIP.
 */
export function vipSubnet(vars: KeepalivedVars, host: Host): string | undefined {
  const vip = parseIpv4WithPrefix(vars.vip);
  if (!vip) return undefined;
  if (vip.prefix !== undefined) return parseCidr(`${vip.address}/${vip.prefix}`).text;
  const lan = lanOf(host).subnet;
  return lan && contains(lan, vip.address) ? lan : undefined;
}

/** A peer's address on the VIP's segment (its `ip`/`ansible_host`/`address` in that subnet), else its inventory address. */
function peerOf(h: Host, subnet: string | undefined): GroupMember {
  return { name: h.name, address: (subnet && hostAddressIn(h, subnet)) || hostAddress(h) };
}

const sameVip = (a: unknown, b: string) => typeof a === 'string' && parseIpv4WithPrefix(a)?.address === parseIpv4WithPrefix(b)?.address;

/**
 * The VRRP peers in priority order: `peers` if given, else the hosts of
 * `group`, else every inventory host whose own vars set the same VIP. A
 * peer's address is the one it has on the VIP's subnet when the inventory
 * tells (`ip` on a dual-homed gateway), else its inventory address.
 */
export function vrrpPeers(vars: KeepalivedVars, host: Host, inventory: Inventory): GroupMember[] {
  let peers: GroupMember[];
  let source: string;
  if (vars.peers) {
    peers = vars.peers;
    source = 'keepalived.peers';
  } else if (vars.group) {
    const subnet = vipSubnet(vars, host);
    peers = (inventory.groups.get(vars.group)?.hosts ?? []).flatMap((name) => {
      const h = inventory.hosts.get(name);
      return h ? [peerOf(h, subnet)] : [];
    });
    source = `inventory group "${vars.group}"`;
  } else {
    const subnet = vipSubnet(vars, host);
    peers = [...inventory.hosts.values()]
      .filter((h) => sameVip((h.vars.keepalived as { vip?: unknown } | undefined)?.vip, vars.vip))
      .map((h) => peerOf(h, subnet));
    source = `the inventory hosts whose keepalived.vip is ${vars.vip}`;
  }
  if (!peers.some((p) => p.name === host.name)) {
    throw new KeepalivedConfigError(
      `${host.name} is not among its VRRP peers (${source}: ${peers.map((p) => p.name).join(', ') || 'none'}); ` +
        'set keepalived.group to the group of hosts sharing the VIP, or keepalived.peers',
    );
  }
  return peers;
}

/**
 * The interface for VRRP and the VIP, and the VIP's prefix: the interface with
 * an address on the VIP's subnet; else the one holding the host's inventory
 * address (then the VIP gets /32 unless a prefix is given).
 */
export function vipPlacement(vars: KeepalivedVars, host: Host, ifaces: readonly IpAddress[]): { iface: string; vip: string } {
  const vip = parseIpv4WithPrefix(vars.vip)!;
  const onSubnet = interfaceOnSubnetOf(ifaces, vip.address);
  let iface = vars.interface;
  if (iface === undefined) iface = onSubnet?.iface.ifname ?? interfaceHolding(ifaces, hostAddress(host))?.ifname;
  if (iface === undefined) {
    throw new KeepalivedConfigError(
      `keepalived: no interface of ${host.name} has an address on the subnet of ${vip.address}, and none holds its inventory address ` +
        `${hostAddress(host)}: set keepalived.interface`,
    );
  }
  if (vars.interface !== undefined && !ifaces.some((i) => i.ifname === vars.interface)) {
    throw new KeepalivedConfigError(`keepalived.interface ${vars.interface} does not exist on ${host.name} (it has ${ifaces.map((i) => i.ifname).join(', ')})`);
  }
  const prefix = vip.prefix ?? (onSubnet && onSubnet.iface.ifname === iface ? onSubnet.prefixlen : 32);
  return { iface, vip: `${vip.address}/${prefix}` };
}

/** `curl` asking the Kubernetes API's /readyz (TLS, certificate not verified: the check asks "does it answer", as the kubeadm HA guide's check_apiserver.sh). */
const readyz = (address: string, port: number) => `/usr/bin/curl -sfk --max-time 2 -o /dev/null https://${address}:${port}/readyz`;

/**
 * The default health check: the API answers through this host's haproxy
 * (at its bind address, else 127.0.0.1, on its API port), so a gateway whose
 * backends are unreachable hands the VIP over; on a control plane without
 * haproxy, kube-apiserver itself; else that haproxy runs.
 */
export function defaultTrackScript(host: Host): string {
  const lb = haproxyApiFrontend(host);
  if (lb) return readyz(lb.bind ?? '127.0.0.1', lb.port);
  if (isControlPlane(host)) return readyz('127.0.0.1', apiServerPort(host));
  return '/usr/bin/systemctl is-active --quiet haproxy';
}

/** The check command in force (set, else the default). */
export function trackScript(vars: KeepalivedVars, host: Host): string | undefined {
  return vars.track === false ? undefined : (vars.track.script ?? defaultTrackScript(host));
}

/** The API backends haproxy forwards to: `haproxy.api.group`, else the cluster's control plane group. */
function apiBackends(host: Host, inventory: Inventory): GroupMember[] {
  const haproxy = host.vars.haproxy as { api?: { group?: unknown } } | undefined;
  const group = typeof haproxy?.api?.group === 'string' ? haproxy.api.group : clusterOf(host).control_plane_group;
  return groupMembers(inventory, group).filter((m) => m.name !== host.name);
}

/**
 * Interfaces to track: set, else those on the subnets of the API backends
 * other than the VRRP interface (a dual-homed gateway's inner NIC: losing it
 * leaves the VIP on a host that black-holes the API).
 */
export function trackInterfaces(vars: KeepalivedVars, host: Host, inventory: Inventory, ifaces: readonly IpAddress[], vrrpInterface: string): string[] {
  if (vars.track_interfaces === false) return [];
  if (vars.track_interfaces) return vars.track_interfaces.filter((i) => i !== vrrpInterface);
  const names = apiBackends(host, inventory).flatMap((b) => interfaceOnSubnetOf(ifaces, b.address)?.iface.ifname ?? []);
  return [...new Set(names)].filter((i) => i !== vrrpInterface);
}

/** The whole model for one host. */
export function keepalivedModel(vars: KeepalivedVars, host: Host, inventory: Inventory, ifaces: readonly IpAddress[]): KeepalivedModel {
  const peers = vrrpPeers(vars, host, inventory);
  const index = peers.findIndex((p) => p.name === host.name);
  const me = peers[index]!;
  const vip = parseIpv4WithPrefix(vars.vip)!.address;
  const clash = peers.find((p) => p.address === vip);
  if (clash) throw new KeepalivedConfigError(`keepalived.vip ${vip} is the address of peer ${clash.name}: a VIP must be an address no host holds`);

  const priority = vars.priority ?? vars.priority_start - index * vars.priority_step;
  if (priority < 1) {
    throw new KeepalivedConfigError(
      `keepalived: ${host.name} is peer ${index + 1} of ${peers.length}; priority ${vars.priority_start} - ${index} × ${vars.priority_step} = ${priority} is below 1: ` +
        'raise priority_start or lower priority_step',
    );
  }
  if (vars.state === 'MASTER' && !vars.preempt) {
    throw new KeepalivedConfigError('keepalived: preempt: false (nopreempt) needs state BACKUP');
  }
  if (!vars.preempt && vars.preempt_delay !== undefined) {
    throw new KeepalivedConfigError('keepalived: preempt_delay means nothing with preempt: false (keepalived drops it): remove one of them');
  }
  const { iface, vip: vipWithPrefix } = vipPlacement(vars, host, ifaces);
  const virtualRouterId = vars.virtual_router_id ?? defaultVirtualRouterId(vars.vip);

  return {
    routerId: vars.router_id ?? host.name,
    scriptUser: vars.script_user,
    track:
      vars.track === false
        ? null
        : {
            name: 'chk_health',
            script: trackScript(vars, host)!,
            interval: vars.track.interval,
            fall: vars.track.fall,
            rise: vars.track.rise,
            weight: vars.track.weight ?? Math.max(-253, -(peers.length * vars.priority_step)),
          },
    trackInterfaces: trackInterfaces(vars, host, inventory, ifaces, iface),
    instance: {
      name: vars.instance ?? `VI_${virtualRouterId}`,
      state: vars.state,
      interface: iface,
      virtualRouterId,
      priority,
      advertInt: vars.advert_int,
      nopreempt: !vars.preempt,
      preemptDelay: vars.preempt_delay ?? null,
      unicast: vars.unicast ? { src: me.address, peers: peers.filter((p) => p.name !== host.name).map((p) => p.address) } : null,
      authPass: vars.auth_pass ?? null,
      vip: vipWithPrefix,
    },
    extra: vars.extra_config?.replace(/\s+$/, '') || null,
  };
}

/**
 * For the plan check: the VIP (one owner however many peers claim it) and the
 * VRRP id on its segment (the VIP's subnet when known, so two VIPs with one
 * VRID on a segment are refused before any host is touched).
 */
export function keepalivedClaims(vars: KeepalivedVars, host: Host): Claim[] {
  const vip = parseIpv4WithPrefix(vars.vip)!.address;
  const by = `keepalived on ${host.name}`;
  const claims: Claim[] = [{ kind: 'address', by, ip: vip, purpose: 'vip', what: 'keepalived VIP' }];
  let routerId: number;
  try {
    routerId = vars.virtual_router_id ?? defaultVirtualRouterId(vars.vip);
  } catch {
    return claims; // the config task says why
  }
  claims.push({ kind: 'vrrp', by, segment: vipSubnet(vars, host) ?? `the segment of ${vip}`, routerId, vip });
  return claims;
}

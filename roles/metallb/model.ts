import type { Host } from '../../src/inventory/types.js';
import type { Claim } from '../../src/plan/claims.js';
import type { IpAddress } from '../../src/facts/builtin.js';
import type { Inventory } from '../../src/inventory/types.js';
import { cidrsOverlap } from '../../src/net/address.js';
import { clusterOf } from '../../src/net/cluster.js';
import { hostAddress, interfaceHolding } from '../../src/net/host-address.js';
import { lanOf } from '../../src/net/lan.js';
import { v4RangeToCidrs } from '../../src/net/ip-route.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import { calicoVars } from '../calico/vars.js';
import { advertisementOf, metallbVars, type MetallbVars } from './vars.js';

/** The namespace metallb-native.yaml installs into (fixed by the manifest). */
export const NAMESPACE = 'metallb-system';

interface LabelSelector {
  matchLabels: Record<string, string>;
}

/** metallb.io/v1beta1 IPAddressPool */
export interface IPAddressPool extends K8sObject {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'IPAddressPool';
  spec: { addresses: string[]; autoAssign: boolean; avoidBuggyIPs: boolean };
}

/** metallb.io/v1beta1 L2Advertisement */
export interface L2Advertisement extends K8sObject {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'L2Advertisement';
  spec: { ipAddressPools: string[]; interfaces?: string[]; nodeSelectors?: LabelSelector[] };
}

/** metallb.io/v1beta2 BGPPeer (v1beta1 is deprecated) */
export interface MetallbBGPPeer extends K8sObject {
  apiVersion: 'metallb.io/v1beta2';
  kind: 'BGPPeer';
  spec: {
    myASN: number;
    peerASN: number;
    peerAddress: string;
    peerPort?: number;
    sourceAddress?: string;
    holdTime?: string;
    ebgpMultiHop?: boolean;
    nodeSelectors?: LabelSelector[];
  };
}

/** metallb.io/v1beta1 BGPAdvertisement */
export interface BGPAdvertisement extends K8sObject {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'BGPAdvertisement';
  spec: { ipAddressPools: string[]; aggregationLength?: number; localPref?: number; communities?: string[]; peers?: string[]; nodeSelectors?: LabelSelector[] };
}

export type MetallbResource = IPAddressPool | L2Advertisement | MetallbBGPPeer | BGPAdvertisement;

const meta = (name: string) => ({ name, namespace: NAMESPACE });

/** Drops undefined fields, so the YAML holds only what is set. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function ipAddressPools(vars: MetallbVars): IPAddressPool[] {
  return vars.pools.map((p) => ({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: meta(p.name),
    spec: { addresses: p.addresses, autoAssign: p.auto_assign, avoidBuggyIPs: p.avoid_buggy_ips },
  }));
}

const selectors = (labels?: Record<string, string>): LabelSelector[] | undefined => (labels ? [{ matchLabels: labels }] : undefined);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The link of a host's `networking` vars whose static addresses hold `ip` (a bridge br0, not its tenant VLAN br0.100). */
function inventoryLinkHolding(host: Host, ip: string): string | undefined {
  const networking = host.vars.networking;
  if (!isObject(networking)) return undefined;
  for (const section of ['interfaces', 'bridges', 'bonds', 'vlans']) {
    const links = networking[section];
    if (!isObject(links)) continue;
    for (const [name, link] of Object.entries(links)) {
      const addresses = isObject(link) && Array.isArray(link.addresses) ? link.addresses : [];
      if (addresses.some((a) => typeof a === 'string' && a.split('/')[0] === ip)) return name;
    }
  }
  return undefined;
}

/**
 * The interfaces MetalLB L2 answers ARP on: the link holding each node's
 * address where the inventory's `networking` vars name it, and the one holding
 * the first control plane's address (`ip addr` fact) — so a tenant VLAN or a
 * second NIC of a node does not answer for service IPs. (Nodes whose link the
 * inventory does not name are assumed to use the same name as the first one.)
 */
export function lanInterfaces(host: Host, inventory: Inventory, ifaces: readonly IpAddress[]): string[] {
  const cluster = clusterOf(host);
  const nodes = [cluster.control_plane_group, cluster.worker_group].flatMap((g) => inventory.groups.get(g)?.hosts ?? []);
  const names = [...new Set(nodes)].flatMap((n) => {
    const h = inventory.hosts.get(n);
    return h ? (inventoryLinkHolding(h, hostAddress(h)) ?? []) : [];
  });
  const own = interfaceHolding(ifaces, hostAddress(host))?.ifname;
  return [...new Set([...(own ? [own] : []), ...names])];
}

/**
 * The advertisement objects: an L2Advertisement (on `l2_interfaces`, else the
 * LAN interfaces; `[]` = every interface), or BGPPeers + a BGPAdvertisement, or none.
 */
export function advertisements(vars: MetallbVars, lan: readonly string[] = []): (L2Advertisement | MetallbBGPPeer | BGPAdvertisement)[] {
  const pools = vars.pools.map((p) => p.name);
  const mode = advertisementOf(vars);
  if (mode === 'l2') {
    const interfaces = vars.l2_interfaces ?? lan;
    return [{
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata: meta('labwright-l2'),
      spec: defined({ ipAddressPools: pools, interfaces: interfaces.length > 0 ? [...interfaces] : undefined, nodeSelectors: selectors(vars.node_selector) }),
    }];
  }
  if (mode === 'none') return [];
  const peers: MetallbBGPPeer[] = vars.bgp_peers.map((p) => ({
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: meta(p.name),
    spec: defined({
      myASN: p.my_asn,
      peerASN: p.peer_asn,
      peerAddress: p.peer_address,
      peerPort: p.peer_port,
      sourceAddress: p.source_address,
      holdTime: p.hold_time,
      ebgpMultiHop: p.ebgp_multihop,
      nodeSelectors: selectors(p.node_selector),
    }),
  }));
  const a = vars.bgp_advertisement;
  const adv: BGPAdvertisement = {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'BGPAdvertisement',
    metadata: meta('labwright-bgp'),
    spec: defined({
      ipAddressPools: pools,
      aggregationLength: a.aggregation_length,
      localPref: a.local_pref,
      communities: a.communities,
      nodeSelectors: selectors(vars.node_selector),
    }),
  };
  return [...peers, adv];
}

/** Every resource the role applies after the controller is ready, in apply order (`lan`: see lanInterfaces). */
export function metallbResources(vars: MetallbVars, lan: readonly string[] = []): MetallbResource[] {
  return [...ipAddressPools(vars), ...advertisements(vars, lan)];
}

/**
 * The pools as CIDRs (ranges split exactly): what a router, Calico's
 * serviceLoadBalancerIPs or the static-routes role needs.
 */
export function poolCidrs(vars: Pick<MetallbVars, 'pools'>): string[] {
  return vars.pools.flatMap((p) => p.addresses.flatMap((a) => v4RangeToCidrs(a)));
}

/**
 * The MetalLB pools of a host's inventory as CIDRs ([] without a valid
 * `metallb` var): feed them to static routes or to a router's config.
 */
export function loadBalancerCidrs(host: Host): string[] {
  const parsed = metallbVars.safeParse(host.vars.metallb);
  return parsed.success ? poolCidrs(parsed.data) : [];
}

/**
 * What the pools take of the address space, for the plan check that runs
 * before any host is touched: it refuses a pool overlapping the pod or
 * service network, another pool or a DHCP range, or holding a node, VIP,
 * reservation or gateway address.
 */
export function metallbClaims(vars: MetallbVars, host?: Host): Claim[] {
  const claims = vars.pools.flatMap((p) =>
    p.addresses.map((range): Claim => ({ kind: 'range', by: 'metallb', range, purpose: 'loadbalancer', what: `MetalLB pool ${p.name}`, ...(advertisementOf(vars) === 'l2' ? { announce: 'l2' as const } : {}) })),
  );
  const lan = host ? lanOf(host).subnet : undefined;
  if (lan && advertisementOf(vars) !== 'l2') {
    for (const p of vars.pools) {
      const inside = p.addresses.filter((a) => v4RangeToCidrs(a).some((c) => cidrsOverlap(c, lan)));
      if (inside.length === 0) continue;
      claims.push({
        kind: 'warning',
        by: 'metallb',
        text:
          `MetalLB pool ${p.name} (${inside.join(', ')}) is announced by ${advertisementOf(vars) === 'bgp' ? 'BGP' : 'another speaker'} but lies inside the nodes' own subnet ${lan}: ` +
          'other hosts of that LAN take its addresses as on-link and ARP for them, and nobody answers ARP for a BGP-announced address; ' +
          'use a range outside the LAN (or L2 mode for addresses inside it)',
      });
    }
  }
  return claims;
}

/**
 * MetalLB BGP to a router Calico already peers with from the same nodes:
 * only one BGP session per node and router works.
 */
export function bgpConflicts(vars: MetallbVars, host: Host): string[] {
  if (advertisementOf(vars) !== 'bgp' || clusterOf(host).cni !== 'calico' || host.vars.calico === undefined) return [];
  const calico = calicoVars.safeParse(host.vars.calico);
  const calicoPeers = new Set(calico.success ? calico.data.bgp_peers.map((p) => p.peer_ip) : []);
  return vars.bgp_peers
    .filter((p) => calicoPeers.has(p.peer_address))
    .map(
      (p) =>
        `metallb.bgp_peers ${p.name}: Calico already peers with ${p.peer_address} (calico.bgp_peers) and only one BGP session per node and router works; ` +
        'set metallb.advertisement: none and let Calico announce the pools (calico.bgp_configuration.service_load_balancer_ips defaults to them)',
    );
}

/** Throws with every BGP conflict. */
export function assertNoBgpConflict(vars: MetallbVars, host: Host): void {
  const problems = bgpConflicts(vars, host);
  if (problems.length > 0) throw new Error(`metallb: ${problems.join('\n')}`);
}

import type { Host } from '../../src/inventory/types.js';
import { cidrsOverlap, parseCidr } from '../../src/net/address.js';
import { clusterOf, type Cluster } from '../../src/net/cluster.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import type { Claim } from '../../src/plan/claims.js';
import { poolCidrs } from '../metallb/model.js';
import { advertisementOf, metallbOf } from '../metallb/vars.js';
import type { CalicoVars, Encapsulation, IpPoolVars } from './vars.js';

type EnabledDisabled = 'Enabled' | 'Disabled';

/** How calico-node finds its node's address: given CIDRs, or the node's InternalIP as kubelet registered it. */
export type NodeAddressAutodetection = { cidrs: string[] } | { kubernetes: 'NodeInternalIP' };

export function nodeAddressAutodetection(vars: Pick<CalicoVars, 'node_address_cidrs'>): NodeAddressAutodetection {
  return vars.node_address_cidrs ? { cidrs: vars.node_address_cidrs } : { kubernetes: 'NodeInternalIP' };
}

/** operator.tigera.io/v1 Installation: spec.calicoNetwork.ipPools[] */
export interface InstallationIPPool {
  name: string;
  cidr: string;
  encapsulation: Encapsulation;
  natOutgoing: EnabledDisabled;
  blockSize: number;
  nodeSelector: string;
}

/** operator.tigera.io/v1 Installation (the fields this role sets) */
export interface Installation extends K8sObject {
  apiVersion: 'operator.tigera.io/v1';
  kind: 'Installation';
  spec: {
    calicoNetwork: {
      bgp: EnabledDisabled;
      ipPools: InstallationIPPool[];
      mtu?: number;
      nodeAddressAutodetectionV4: NodeAddressAutodetection;
    };
  };
}

/** operator.tigera.io/v1 APIServer (serves projectcalico.org/v3) */
export interface APIServer extends K8sObject {
  apiVersion: 'operator.tigera.io/v1';
  kind: 'APIServer';
  spec: Record<string, never>;
}

type CalicoApi = CalicoVars['resource_api'];

/** BGPConfiguration (crd.projectcalico.org/v1 or projectcalico.org/v3: the same spec) */
export interface BGPConfiguration extends K8sObject {
  apiVersion: CalicoApi;
  kind: 'BGPConfiguration';
  spec: {
    asNumber?: number;
    nodeToNodeMeshEnabled: boolean;
    serviceLoadBalancerIPs?: { cidr: string }[];
    serviceExternalIPs?: { cidr: string }[];
    serviceClusterIPs?: { cidr: string }[];
  };
}

/** BGPPeer (crd.projectcalico.org/v1 or projectcalico.org/v3) */
export interface CalicoBGPPeer extends K8sObject {
  apiVersion: CalicoApi;
  kind: 'BGPPeer';
  spec: { peerIP: string; asNumber: number; node?: string; nodeSelector?: string };
}

type Mode = 'Always' | 'CrossSubnet' | 'Never';

/** IPPool (crd.projectcalico.org/v1): manifest mode keeps its pools with these */
export interface CalicoIPPool extends K8sObject {
  apiVersion: 'crd.projectcalico.org/v1';
  kind: 'IPPool';
  spec: { cidr: string; ipipMode: Mode; vxlanMode: Mode; natOutgoing: boolean; blockSize: number; nodeSelector: string };
}

export type CalicoResource = Installation | APIServer | BGPConfiguration | CalicoBGPPeer | CalicoIPPool;

/** A pool with every field decided. */
export type Pool = Required<IpPoolVars>;

const DEFAULT_POOL_NAME = 'default-ipv4-ippool';

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The pools with names and CIDRs decided: the first defaults to
 * `cluster.pod_subnet`; pools do not overlap and a block is no bigger than
 * its pool. (That every pool lies inside `cluster.pod_subnet` is the plan
 * check's, from calicoClaims, before any host is touched.)
 */
export function resolvePools(vars: CalicoVars, cluster: Cluster): Pool[] {
  const problems: string[] = [];
  const pools = vars.ip_pools.map((p, i): Pool => {
    const at = `calico.ip_pools[${i}]`;
    const name = p.name ?? (i === 0 ? DEFAULT_POOL_NAME : undefined);
    const cidr = p.cidr ?? (i === 0 ? cluster.pod_subnet : undefined);
    if (!name) problems.push(`${at}: give the pool a name (only the first pool defaults to ${DEFAULT_POOL_NAME})`);
    if (!cidr) problems.push(`${at}: give the pool a cidr (only the first pool defaults to cluster.pod_subnet)`);
    if (cidr) {
      const c = parseCidr(cidr);
      if (p.block_size < c.prefix) problems.push(`${at}: block_size /${p.block_size} is bigger than the pool ${cidr}`);
    }
    return { ...p, name: name ?? '', cidr: cidr ?? '' };
  });
  for (let a = 0; a < pools.length; a++) {
    for (let b = a + 1; b < pools.length; b++) {
      if (pools[a].cidr && pools[b].cidr && cidrsOverlap(pools[a].cidr, pools[b].cidr)) problems.push(`calico.ip_pools: ${pools[a].name} ${pools[a].cidr} overlaps ${pools[b].name} ${pools[b].cidr}`);
      if (pools[a].name && pools[a].name === pools[b].name) problems.push(`calico.ip_pools: two pools are named ${pools[a].name}`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return pools;
}

const VXLAN: readonly Encapsulation[] = ['VXLAN', 'VXLANCrossSubnet'];

/** Calico BGP on or off: explicit, else off only for an all-VXLAN cluster without BGP peers or configuration. */
export function bgpOf(vars: CalicoVars): EnabledDisabled {
  if (vars.bgp) return vars.bgp;
  const vxlanOnly = vars.ip_pools.every((p) => VXLAN.includes(p.encapsulation));
  return vxlanOnly && vars.bgp_peers.length === 0 && !vars.bgp_configuration ? 'Disabled' : 'Enabled';
}

function checkBgp(vars: CalicoVars, pools: Pool[]): void {
  if (bgpOf(vars) === 'Enabled') return;
  const problems: string[] = [];
  if (vars.bgp_peers.length > 0 || vars.bgp_configuration) problems.push('calico.bgp is Disabled but bgp_peers/bgp_configuration are set: they need BGP');
  for (const p of pools) {
    if (!VXLAN.includes(p.encapsulation)) {
      problems.push(`calico.bgp is Disabled but pool ${p.name} uses ${p.encapsulation}: ${p.encapsulation === 'None' ? 'unencapsulated' : 'IPIP'} routes between nodes are distributed by BGP; use VXLAN or VXLANCrossSubnet, or enable BGP`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

function checkApi(vars: CalicoVars): void {
  if (vars.resource_api !== 'projectcalico.org/v3') return;
  if (vars.mode !== 'operator' || !vars.api_server) {
    throw new Error('calico.resource_api projectcalico.org/v3 is served by the Calico API server, which only operator mode with api_server: true installs; use crd.projectcalico.org/v1');
  }
}

/** Manifest mode's own limits (throws): calico-node names its first pool itself, and BGP stays as calico.yaml sets it. */
export function checkManifestMode(vars: CalicoVars, pools: Pool[]): void {
  if (vars.mode !== 'manifest') return;
  const problems: string[] = [];
  if (pools[0].name !== 'default-ipv4-ippool') {
    problems.push(`calico.ip_pools[0].name: calico-node names the pool it creates default-ipv4-ippool; in manifest mode the first pool must keep that name (got ${pools[0].name})`);
  }
  if (vars.bgp === 'Disabled') {
    problems.push('calico.bgp: Disabled needs operator mode (calico.yaml runs BIRD; switching it off there means editing its backend and probes)');
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** What the pools take of the address space, for the plan check: each lies inside cluster.pod_subnet. */
export function calicoClaims(vars: CalicoVars, cluster: Cluster): Claim[] {
  return vars.ip_pools.flatMap((p, i): Claim[] => {
    const cidr = p.cidr ?? (i === 0 ? cluster.pod_subnet : undefined);
    const name = p.name ?? (i === 0 ? DEFAULT_POOL_NAME : `ip_pools[${i}]`);
    return cidr ? [{ kind: 'within', by: 'calico', cidr, what: `Calico pool ${name}`, outer: cluster.pod_subnet, outerWhat: 'cluster.pod_subnet' }] : [];
  });
}

/** Everything the role renders, decided and checked once. */
export interface CalicoModel {
  pools: Pool[];
  bgp: EnabledDisabled;
  /** Operator mode: Installation (+ APIServer). */
  install: (Installation | APIServer)[];
  /** Manifest mode: one IPPool per pool. */
  ipPools: CalicoIPPool[];
  /** BGPConfiguration (when configured) and BGPPeers, in apply order. */
  bgpResources: (BGPConfiguration | CalicoBGPPeer)[];
}

export function installation(vars: CalicoVars, pools: Pool[]): Installation {
  return {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default' },
    spec: {
      calicoNetwork: defined({
        bgp: bgpOf(vars),
        ipPools: pools.map((p) => ({
          name: p.name,
          cidr: p.cidr,
          encapsulation: p.encapsulation,
          natOutgoing: p.nat_outgoing ? 'Enabled' : 'Disabled',
          blockSize: p.block_size,
          nodeSelector: p.node_selector,
        })),
        mtu: vars.mtu,
        nodeAddressAutodetectionV4: nodeAddressAutodetection(vars),
      }),
    },
  };
}

/** Encapsulation → the IPPool's (and calico-node's CALICO_IPV4POOL_*) ipip/vxlan modes. */
export function poolModes(e: Encapsulation): { ipip: Mode; vxlan: Mode } {
  switch (e) {
    case 'IPIP': return { ipip: 'Always', vxlan: 'Never' };
    case 'IPIPCrossSubnet': return { ipip: 'CrossSubnet', vxlan: 'Never' };
    case 'VXLAN': return { ipip: 'Never', vxlan: 'Always' };
    case 'VXLANCrossSubnet': return { ipip: 'Never', vxlan: 'CrossSubnet' };
    case 'None': return { ipip: 'Never', vxlan: 'Never' };
  }
}

export function ipPool(p: Pool): CalicoIPPool {
  const modes = poolModes(p.encapsulation);
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: { name: p.name },
    spec: { cidr: p.cidr, ipipMode: modes.ipip, vxlanMode: modes.vxlan, natOutgoing: p.nat_outgoing, blockSize: p.block_size, nodeSelector: p.node_selector },
  };
}

const cidrList = (cidrs?: string[]) => cidrs?.map((cidr) => ({ cidr }));

/**
 * LoadBalancer ranges Calico announces: explicit, else the MetalLB pools of
 * the inventory when MetalLB only allocates (`metallb.advertisement: none`)
 * and Calico has BGP peers to announce them to.
 */
export function serviceLoadBalancerIps(vars: CalicoVars, host: Host): string[] | undefined {
  const explicit = vars.bgp_configuration?.service_load_balancer_ips;
  if (explicit) return explicit;
  const metallb = metallbOf(host);
  if (metallb && advertisementOf(metallb) === 'none' && vars.bgp_peers.length > 0) return poolCidrs(metallb);
  return undefined;
}

export function bgpResources(vars: CalicoVars, host: Host): (BGPConfiguration | CalicoBGPPeer)[] {
  const api = vars.resource_api;
  const lbIps = serviceLoadBalancerIps(vars, host);
  const c = vars.bgp_configuration;
  const config: BGPConfiguration[] = c || lbIps
    ? [{
        apiVersion: api,
        kind: 'BGPConfiguration',
        metadata: { name: 'default' },
        spec: defined({
          asNumber: c?.as_number,
          nodeToNodeMeshEnabled: c?.node_to_node_mesh ?? true,
          serviceLoadBalancerIPs: cidrList(lbIps),
          serviceExternalIPs: cidrList(c?.service_external_ips),
          serviceClusterIPs: cidrList(c?.service_cluster_ips),
        }),
      }]
    : [];
  const peers: CalicoBGPPeer[] = vars.bgp_peers.map((p) => ({
    apiVersion: api,
    kind: 'BGPPeer',
    metadata: { name: p.name },
    spec: defined({ peerIP: p.peer_ip, asNumber: p.as_number, node: p.node, nodeSelector: p.node_selector }),
  }));
  return [...config, ...peers];
}

/** The whole model for a host (throws with every problem found). */
export function calicoModel(vars: CalicoVars, host: Host): CalicoModel {
  const cluster = clusterOf(host);
  const pools = resolvePools(vars, cluster);
  checkBgp(vars, pools);
  checkApi(vars);
  checkManifestMode(vars, pools);
  const apiServer: APIServer = { apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} };
  return {
    pools,
    bgp: bgpOf(vars),
    install: [installation(vars, pools), ...(vars.api_server ? [apiServer] : [])],
    ipPools: pools.map(ipPool),
    bgpResources: bgpResources(vars, host),
  };
}

/** Every resource of a model, in the order the role applies them (for checks and the stand-in comparison). */
export function calicoResources(vars: CalicoVars, model: CalicoModel): CalicoResource[] {
  return vars.mode === 'operator' ? [...model.install, ...model.bgpResources] : [...model.ipPools, ...model.bgpResources];
}

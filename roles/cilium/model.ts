import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import { controlPlaneEndpoint } from '../../src/net/control-plane-endpoint.js';
import type { Claim } from '../../src/plan/claims.js';
import { deepMerge } from '../../src/engine/merge.js';
import type { HelmValues } from '../../src/ops/helm-release.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import type { CiliumVars } from './vars.js';

/** The API group and versions of the CRs (v2 since Cilium 1.18; L2 announcement policies are still v2alpha1). */
export const CILIUM_V2 = 'cilium.io/v2';
export const CILIUM_V2ALPHA1 = 'cilium.io/v2alpha1';

/** The label the BGP advertisement and peer config are matched by. */
const ADVERTISE_LABEL = { advertise: 'labwright-bgp' };

/**
 * The chart values, from typed vars and the inventory: kube-proxy
 * replacement reaching the API at the control-plane endpoint, routing mode,
 * the pod CIDR from `cluster.pod_subnet`, Hubble, Gateway API and the
 * LoadBalancer announcement features; `extra_values` merged last.
 */
export function ciliumValues(vars: CiliumVars, host: Host, inventory: Inventory): HelmValues {
  const cluster = clusterOf(host);
  const values: HelmValues = { kubeProxyReplacement: vars.kube_proxy_replacement };
  if (vars.kube_proxy_replacement) {
    const endpoint = controlPlaneEndpoint(host, inventory);
    values.k8sServiceHost = endpoint.host;
    values.k8sServicePort = endpoint.port;
  }
  values.routingMode = vars.routing.mode;
  if (vars.routing.mode === 'tunnel') {
    values.tunnelProtocol = vars.routing.tunnel_protocol;
  } else {
    values.ipv4NativeRoutingCIDR = vars.routing.native_cidr ?? cluster.pod_subnet;
    values.autoDirectNodeRoutes = vars.routing.auto_direct_node_routes;
  }
  values.ipam =
    vars.ipam.mode === 'cluster-pool'
      ? { mode: 'cluster-pool', operator: { clusterPoolIPv4PodCIDRList: [cluster.pod_subnet], clusterPoolIPv4MaskSize: vars.ipam.mask_size } }
      : { mode: 'kubernetes' };
  if (vars.hubble.enabled) values.hubble = { enabled: true, relay: { enabled: vars.hubble.relay }, ui: { enabled: vars.hubble.ui } };
  else values.hubble = { enabled: false };
  if (vars.gateway_api.enabled) values.gatewayAPI = { enabled: true };
  const announce = vars.load_balancer?.announce;
  if (announce === 'l2') values.l2announcements = { enabled: true };
  if (announce === 'bgp') values.bgpControlPlane = { enabled: true };
  return deepMerge(values, vars.extra_values) as HelmValues;
}

/** What the vars ask for that Cilium cannot do: errors naming the key. */
export function ciliumProblems(vars: CiliumVars, host: Host): string[] {
  const out: string[] = [];
  if (vars.gateway_api.enabled && !vars.kube_proxy_replacement) out.push('cilium.gateway_api.enabled needs cilium.kube_proxy_replacement: true (Cilium\'s Gateway API runs on its kube-proxy replacement)');
  if (vars.load_balancer?.announce === 'l2' && !vars.kube_proxy_replacement) out.push('cilium.load_balancer.announce: l2 needs cilium.kube_proxy_replacement: true (L2 announcements run on the kube-proxy replacement)');
  if (vars.hubble.ui && !vars.hubble.relay) out.push('cilium.hubble.ui needs cilium.hubble.relay: true (the UI reads flows from Relay)');
  if ((vars.hubble.ui || vars.hubble.relay) && !vars.hubble.enabled) out.push('cilium.hubble.relay/ui need cilium.hubble.enabled: true');
  if (vars.load_balancer?.bgp?.advertise_pod_cidrs && vars.routing.mode === 'tunnel') {
    out.push('cilium.load_balancer.bgp.advertise_pod_cidrs routes pods without overlay: set cilium.routing.mode: native (or advertise_pod_cidrs: false)');
  }
  if (clusterOf(host).cni !== 'cilium') out.push(`cilium vars are set but cluster.cni is ${clusterOf(host).cni}`);
  return out;
}

/** A pool entry as a CiliumLoadBalancerIPPool block: `{ cidr }` or `{ start, stop }`. */
function block(address: string): { cidr: string } | { start: string; stop: string } {
  if (!address.includes('-')) return { cidr: address };
  const [start, stop] = address.split('-');
  return { start, stop };
}

/** The LoadBalancer CRs: pools, then their announcement (L2 policy, or BGP cluster config + peer config + advertisement). */
export function ciliumResources(vars: CiliumVars): K8sObject[] {
  const lb = vars.load_balancer;
  if (!lb) return [];
  const pools: K8sObject[] = lb.pools.map((p) => ({
    apiVersion: CILIUM_V2,
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name: p.name },
    spec: { blocks: p.addresses.map(block) },
  }));
  if (lb.announce === 'l2') {
    const spec: Record<string, unknown> = { loadBalancerIPs: true, externalIPs: false };
    if (lb.l2_interfaces) spec.interfaces = lb.l2_interfaces;
    return [...pools, { apiVersion: CILIUM_V2ALPHA1, kind: 'CiliumL2AnnouncementPolicy', metadata: { name: 'labwright-l2' }, spec }];
  }
  if (lb.announce === 'bgp' && lb.bgp) {
    const bgp = lb.bgp;
    const advertisements: Record<string, unknown>[] = [
      { advertisementType: 'Service', service: { addresses: ['LoadBalancerIP'] }, selector: { matchExpressions: [{ key: 'labwright.io/no-bgp', operator: 'DoesNotExist' }] } },
    ];
    if (bgp.advertise_pod_cidrs) advertisements.unshift({ advertisementType: 'PodCIDR' });
    const cluster: Record<string, unknown> = {
      bgpInstances: [
        {
          name: 'labwright',
          localASN: bgp.local_asn,
          peers: bgp.peers.map((p) => ({ name: p.name, peerASN: p.asn, peerAddress: p.address, peerConfigRef: { name: 'labwright' } })),
        },
      ],
    };
    if (bgp.node_selector) cluster.nodeSelector = { matchLabels: bgp.node_selector };
    return [
      ...pools,
      { apiVersion: CILIUM_V2, kind: 'CiliumBGPAdvertisement', metadata: { name: 'labwright', labels: ADVERTISE_LABEL }, spec: { advertisements } },
      { apiVersion: CILIUM_V2, kind: 'CiliumBGPPeerConfig', metadata: { name: 'labwright' }, spec: { families: [{ afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: ADVERTISE_LABEL } }] } },
      { apiVersion: CILIUM_V2, kind: 'CiliumBGPClusterConfig', metadata: { name: 'labwright' }, spec: cluster },
    ];
  }
  return pools;
}

/** The pools as address claims: the plan check refuses overlaps with the pod/service networks, hosts, DHCP and other pools. */
export function ciliumClaims(vars: CiliumVars): Claim[] {
  const lb = vars.load_balancer;
  if (!lb) return [];
  return lb.pools.flatMap((p) =>
    p.addresses.map((range): Claim => ({ kind: 'range', by: 'cilium', range, purpose: 'loadbalancer', what: `Cilium LoadBalancer pool ${p.name}`, ...(lb.announce === 'l2' ? { announce: 'l2' as const } : {}) })),
  );
}

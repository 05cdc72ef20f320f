import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { firstControlPlane } from '../../src/net/control-plane.js';
import { ipv4CidrSchema, ipv4Schema } from '../../src/net/lan.js';
import { asNumber, objectName } from '../calico/vars.js';
import { poolAddress } from '../metallb/vars.js';

/** The Cilium chart version labwright pins by default (see README: what was checked against which upstream files). */
export const CILIUM_CHART_VERSION = '1.18.2';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex (64 characters)');

export const routingVars = z
  .strictObject({
    mode: z.enum(['tunnel', 'native']).default('tunnel').describe('`tunnel`: pod traffic between nodes encapsulated (works on any network). `native`: routed as is (nodes on one L2 segment with `auto_direct_node_routes`, or a router that knows the pod CIDRs, e.g. by BGP).'),
    tunnel_protocol: z.enum(['vxlan', 'geneve']).default('vxlan').describe('Encapsulation in tunnel mode (`tunnelProtocol`).'),
    native_cidr: ipv4CidrSchema.optional().describe('Native mode: the CIDR routed without masquerading (`ipv4NativeRoutingCIDR`); default `cluster.pod_subnet`.'),
    auto_direct_node_routes: z.boolean().default(true).describe('Native mode: each node installs routes to the other nodes\' pod CIDRs (`autoDirectNodeRoutes`; needs the nodes on one L2 segment, seed 003\'s vmnet2).'),
  })
  .refine((r) => r.mode === 'native' || r.native_cidr === undefined, { message: 'native_cidr is for mode: native', path: ['native_cidr'] });

export const ipamVars = z.strictObject({
  mode: z.enum(['cluster-pool', 'kubernetes']).default('cluster-pool').describe('`cluster-pool`: the Cilium operator carves `cluster.pod_subnet` into per-node CIDRs (`ipam.operator.clusterPoolIPv4PodCIDRList`). `kubernetes`: the node podCIDRs kube-controller-manager allocates from kubeadm\'s podSubnet.'),
  mask_size: z.number().int().min(16).max(30).default(24).describe('Prefix length of each node\'s pod CIDR in cluster-pool mode (`clusterPoolIPv4MaskSize`).'),
});

export const hubbleVars = z.strictObject({
  enabled: z.boolean().default(false).describe('Hubble flow observability in the agents (`hubble.enabled`).'),
  relay: z.boolean().default(false).describe('Hubble Relay (cluster-wide flow API, `hubble.relay.enabled`).'),
  ui: z.boolean().default(false).describe('Hubble UI (`hubble.ui.enabled`; needs relay).'),
});

export const gatewayApiVars = z.strictObject({
  enabled: z.boolean().default(false).describe('Cilium as the Gateway API implementation (`gatewayAPI.enabled`; needs kube-proxy replacement). The Gateway API CRDs are installed first, from `crds_url` or `crds_file`.'),
  crds_version: z.string().regex(/^v1\.\d+\.\d+$/, 'expected a Gateway API release such as v1.3.0').default('v1.3.0').describe('Gateway API release whose standard CRDs are installed (the one the pinned Cilium supports).'),
  crds_url: z.url({ protocol: /^https$/, error: 'expected an https URL' }).optional().describe('Where the host fetches the CRDs; default the release\'s `standard-install.yaml` on github.com.'),
  crds_file: z.string().min(1).optional().describe('The CRD manifest on the controller (air-gapped hosts).'),
  crds_sha256: sha256.optional().describe('Expected sha256 of the CRD manifest.'),
});

export const lbPoolVars = z.strictObject({
  name: objectName.describe('CiliumLoadBalancerIPPool name.'),
  addresses: z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(poolAddress).min(1))
    .describe('CIDRs and/or ranges, one string or a list (`10.10.0.200/29`, `10.10.0.200 - 10.10.0.220`).'),
});

export const bgpPeerVars = z.strictObject({
  name: objectName.describe('Peer name (unique in the BGP instance).'),
  address: ipv4Schema.describe('The router\'s address.'),
  asn: asNumber.describe('The router\'s AS number.'),
});

export const bgpVars = z.strictObject({
  local_asn: asNumber.describe('The cluster\'s AS number.'),
  peers: z.array(bgpPeerVars).min(1).describe('Routers `{ name, address, asn }` every node peers with.'),
  advertise_pod_cidrs: z.boolean().default(true).describe('Also advertise each node\'s pod CIDR (routing without overlay, `routing.mode: native`).'),
  node_selector: z.record(z.string(), z.string()).optional().describe('matchLabels of the nodes that peer (default: every node).'),
});

export const loadBalancerVars = z
  .strictObject({
    pools: z.array(lbPoolVars).min(1).describe('Address pools for LoadBalancer services (CiliumLoadBalancerIPPool).'),
    announce: z.enum(['l2', 'bgp', 'none']).default('l2').describe('How the addresses are announced: `l2` (ARP, CiliumL2AnnouncementPolicy), `bgp` (CiliumBGPClusterConfig + peer config + advertisement), or `none`.'),
    l2_interfaces: z.array(z.string().min(1)).optional().describe('L2: regular expressions of the interfaces that answer ARP (e.g. `^ens192$`, seed 003\'s internal NIC); default: every interface.'),
    bgp: bgpVars.optional().describe('BGP control plane settings (announce: bgp).'),
  })
  .refine((lb) => (lb.announce === 'bgp') === (lb.bgp !== undefined), { message: 'announce: bgp needs bgp settings, and bgp settings need announce: bgp', path: ['bgp'] });

export const ciliumVars = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected an exact Cilium chart version such as 1.18.2').default(CILIUM_CHART_VERSION).describe('Pinned Cilium chart version.'),
  repo: z.url({ protocol: /^https$/, error: 'expected an https chart repository URL' }).default('https://helm.cilium.io/').describe('Chart repository.'),
  namespace: objectName.default('kube-system').describe('Namespace of the release (Cilium\'s own default).'),
  kubeconfig: z.string().startsWith('/').default('/etc/kubernetes/admin.conf').describe('Kubeconfig on the first control plane used by every helm and kubectl call.'),
  state_dir: z.string().startsWith('/').default('/var/lib/labwright/cilium').describe('Where the Gateway API CRD manifest lives on the first control plane.'),
  kube_proxy_replacement: z.boolean().default(true).describe('Cilium replaces kube-proxy (`kubeProxyReplacement`; kubeadm-init skips its kube-proxy addon when `cluster.cni` is cilium). The API server is then reached at `cluster.control_plane_endpoint` (`k8sServiceHost`/`k8sServicePort`), not through the kubernetes Service.'),
  routing: routingVars.prefault({}).describe('Pod routing between nodes.'),
  ipam: ipamVars.prefault({}).describe('Pod address management; the pod CIDR is always `cluster.pod_subnet`.'),
  hubble: hubbleVars.prefault({}).describe('Hubble observability.'),
  gateway_api: gatewayApiVars.prefault({}).describe('Gateway API (seed 003).'),
  load_balancer: loadBalancerVars.optional().describe('LoadBalancer IPs by Cilium instead of MetalLB: pools, announced by L2 or BGP.'),
  extra_values: z.record(z.string(), z.unknown()).default({}).describe('Further chart values, merged over the rendered ones (not checked by labwright).'),
  wait_timeout: z.number().int().min(30).max(3600).default(600).describe('Seconds to wait for ds/cilium and deploy/cilium-operator to roll out.'),
});

export type CiliumVars = z.output<typeof ciliumVars>;

/** Defaults derived from the inventory: none, but the control plane group must exist. */
export function ciliumDefaults(host: Host, inventory: Inventory): Record<string, unknown> {
  firstControlPlane(host, inventory);
  return {};
}

import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { firstControlPlane } from '../../src/net/control-plane.js';
import { ipv4CidrSchema, ipv4Schema } from '../../src/net/lan.js';

/** Encapsulations of an IP pool, as the operator's Installation names them. */
export const ENCAPSULATIONS = ['IPIP', 'IPIPCrossSubnet', 'VXLAN', 'VXLANCrossSubnet', 'None'] as const;
export type Encapsulation = (typeof ENCAPSULATIONS)[number];

/** The API group the BGP resources are written in (see README: why v1 is the default). */
export const RESOURCE_APIS = ['crd.projectcalico.org/v1', 'projectcalico.org/v3'] as const;

/** A Kubernetes object name (RFC 1123 label). */
export const objectName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a Kubernetes name: lower-case letters, digits and inner "-", at most 63');

/** A BGP AS number (4-byte ASNs allowed). */
export const asNumber = z.number().int().min(1).max(4294967295);

const version = z
  .string()
  .regex(/^v?3\.\d+\.\d+$/, 'expected a pinned Calico release such as v3.29.3')
  .transform((v) => (v.startsWith('v') ? v : `v${v}`));

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex (64 characters)');

export const ipPoolVars = z.strictObject({
  name: objectName.optional().describe('IP pool name; default: `default-ipv4-ippool` for the first pool (the name Calico gives its default pool); required for further pools.'),
  cidr: ipv4CidrSchema.optional().describe('Pool CIDR; default for the first pool: `cluster.pod_subnet`. Every pool must lie inside `cluster.pod_subnet`.'),
  encapsulation: z.enum(ENCAPSULATIONS).default('IPIPCrossSubnet').describe('IPIP, IPIPCrossSubnet, VXLAN, VXLANCrossSubnet or None (routed, needs BGP). Default IPIPCrossSubnet: no encapsulation between nodes of one subnet (a home LAN), IP-in-IP only across subnets; None when every node shares one L2 segment and nothing else may need it (seed 001).'),
  nat_outgoing: z.boolean().default(true).describe('Masquerade pod traffic leaving the pool (natOutgoing).'),
  block_size: z.number().int().min(20).max(32).default(26).describe('Prefix length of the per-node address blocks (20-32; Calico\'s default 26 = 64 addresses).'),
  node_selector: z.string().min(1).default('all()').describe('Calico selector of the nodes that take addresses from this pool.'),
});

export const bgpPeerVars = z
  .strictObject({
    name: objectName.describe('BGPPeer name.'),
    peer_ip: ipv4Schema.describe('The peer\'s address, e.g. the router 10.4.0.1 (seed 001).'),
    as_number: asNumber.describe('The peer\'s AS number, e.g. 64500.'),
    node: z.string().min(1).optional().describe('Only this Kubernetes node peers (default: every node).'),
    node_selector: z.string().min(1).optional().describe('Only nodes matching this Calico selector peer, e.g. `rack == \'a\'`.'),
  })
  .refine((p) => !(p.node && p.node_selector), { message: 'set node or node_selector, not both (Calico refuses both)', path: ['node_selector'] });

export const bgpConfigurationVars = z.strictObject({
  as_number: asNumber.optional().describe('The cluster\'s default AS number (Calico\'s default 64512), e.g. 64501 (seed 001).'),
  node_to_node_mesh: z.boolean().default(true).describe('Full BGP mesh between nodes; turn off when every node peers with route reflectors or the router.'),
  service_load_balancer_ips: z.array(ipv4CidrSchema).optional().describe('LoadBalancer IP ranges Calico advertises to its BGP peers; default: the MetalLB pools when `metallb.advertisement` is `none` (MetalLB allocates, Calico advertises).'),
  service_external_ips: z.array(ipv4CidrSchema).optional().describe('externalIPs ranges Calico advertises.'),
  service_cluster_ips: z.array(ipv4CidrSchema).optional().describe('ClusterIP ranges Calico advertises (usually `cluster.service_subnet`).'),
});

export const calicoVars = z.strictObject({
  mode: z.enum(['operator', 'manifest']).default('operator').describe('`operator`: tigera-operator.yaml + an Installation (recommended). `manifest`: calico.yaml with the pool set through calico-node\'s CALICO_IPV4POOL_* variables (kustomize patch) and IPPool resources.'),
  version: version.default('v3.29.3').describe('Pinned Calico release (default v3.29.3); selects the manifest URL.'),
  manifest_url: z.url().optional().describe('Where the host fetches the manifest at apply time; default: the release\'s tigera-operator.yaml (operator) or calico.yaml (manifest) on raw.githubusercontent.com.'),
  manifest_file: z.string().min(1).optional().describe('A manifest file on the controller, copied to the host instead of fetching (air-gapped hosts).'),
  manifest_sha256: sha256.optional().describe('Expected sha256 of the manifest; checked before it is used.'),
  kubeconfig: z.string().startsWith('/').default('/etc/kubernetes/admin.conf').describe('Kubeconfig on the first control plane used by every kubectl call.'),
  state_dir: z.string().startsWith('/').default('/var/lib/labwright/calico').describe('Where manifests and the kustomization live on the first control plane.'),
  ip_pools: z.array(ipPoolVars).min(1).max(25).prefault([{}]).describe('IPv4 pools `{ name, cidr, encapsulation: IPIPCrossSubnet, nat_outgoing: true, block_size: 26, node_selector: all() }` (IPIP, IPIPCrossSubnet, VXLAN, VXLANCrossSubnet or None); default: one pool over `cluster.pod_subnet`.'),
  bgp: z.enum(['Enabled', 'Disabled']).optional().describe('Calico BGP (BIRD); default: Disabled when every pool is VXLAN and no BGP peers or configuration are set, else Enabled.'),
  mtu: z.number().int().min(576).max(9000).optional().describe('Pod network MTU; default: Calico detects it.'),
  node_address_cidrs: z.array(ipv4CidrSchema).optional().describe('Nodes\' addresses are the ones inside these CIDRs (nodeAddressAutodetectionV4.cidrs, manifest mode `IP_AUTODETECTION_METHOD=cidr=…`); default: unset, the address kubelet registered (`kubernetes: NodeInternalIP`, the node-ip kubeadm-init pins), so a keepalived VIP inside the LAN is never taken for the node\'s address.'),
  api_server: z.boolean().default(true).describe('Also create the operator\'s APIServer (serves projectcalico.org/v3 to kubectl), as Calico\'s own custom-resources.yaml does.'),
  resource_api: z.enum(RESOURCE_APIS).default('crd.projectcalico.org/v1').describe('API group of BGPConfiguration/BGPPeer/IPPool: the CRDs directly (default, no API server needed) or projectcalico.org/v3 through the Calico API server (operator mode, `api_server: true`).'),
  bgp_configuration: bgpConfigurationVars.optional().describe('The cluster-wide BGPConfiguration `default`.'),
  bgp_peers: z.array(bgpPeerVars).default([]).describe('External BGP peers (BGPPeer) `{ name, peer_ip, as_number, node? | node_selector? }`, e.g. the router.'),
  wait_timeout: z.number().int().min(10).max(3600).default(600).describe('Seconds to wait for the operator\'s CRDs, Calico and (v3) the API server to become available.'),
});

export type CalicoVars = z.output<typeof calicoVars>;
export type IpPoolVars = z.output<typeof ipPoolVars>;

/** Defaults derived from the inventory: none yet, but the control plane group must exist. */
export function calicoDefaults(host: Host, inventory: Inventory): Record<string, unknown> {
  firstControlPlane(host, inventory);
  return {};
}

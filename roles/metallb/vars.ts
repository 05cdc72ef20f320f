import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { isIpv4Cidr, ipv4Schema } from '../../src/net/lan.js';
import { parseCidr } from '../../src/net/address.js';
import { isV4Range } from '../../src/net/ip-route.js';
import { firstControlPlane } from '../../src/net/control-plane.js';
import { asNumber, objectName } from '../calico/vars.js';

/**
 * One pool entry as MetalLB reads it: a CIDR ("10.4.11.0/24", normalised to
 * its network) or an inclusive range "a-b". Seed 001 writes its range with
 * spaces ('10.4.11.0 - 10.4.15.254'); MetalLB trims them, we normalise them
 * away so the resource reads the same whichever way it was written.
 */
export const poolAddress = z.string().transform((s, ctx) => {
  const t = s.trim();
  if (t.includes('-')) {
    if (!isV4Range(t)) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not an IPv4 range "first-last" with first <= last` });
      return z.NEVER;
    }
    return t.split('-').map((p) => p.trim()).join('-');
  }
  if (!isIpv4Cidr(t)) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is neither an IPv4 CIDR (10.4.11.0/24) nor a range (10.4.11.0-10.4.15.254)` });
    return z.NEVER;
  }
  return parseCidr(t).text;
});

export const poolVars = z.strictObject({
  name: objectName.describe('IPAddressPool name.'),
  addresses: z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(poolAddress).min(1))
    .describe('CIDRs and/or ranges, one string or a list: `10.4.11.0/24`, `10.4.11.0 - 10.4.15.254` (spaces are normalised away).'),
  auto_assign: z.boolean().default(true).describe('Hand out addresses automatically (false: only to services that ask for this pool).'),
  avoid_buggy_ips: z.boolean().default(false).describe('Skip .0 and .255 addresses (for clients that mishandle them).'),
});

export const metallbPeerVars = z.strictObject({
  name: objectName.describe('BGPPeer name.'),
  my_asn: asNumber.describe('The cluster\'s AS number (seed 001: 64501).'),
  peer_asn: asNumber.describe('The router\'s AS number (seed 001: 64500).'),
  peer_address: ipv4Schema.describe('The router\'s address (seed 001: 10.4.0.1).'),
  peer_port: z.number().int().min(1).max(16384).optional().describe('BGP port of the peer (default 179).'),
  source_address: ipv4Schema.optional().describe('Source address of the session on the nodes.'),
  hold_time: z.string().regex(/^\d+s$/, 'seconds such as "90s"').optional().describe('BGP hold time, e.g. "90s".'),
  ebgp_multihop: z.boolean().optional().describe('The peer is more than one hop away.'),
  node_selector: z.record(z.string(), z.string()).optional().describe('Only nodes with these labels peer (matchLabels).'),
});

export const metallbVars = z.strictObject({
  version: z
    .string()
    .regex(/^v?0\.1[3-9]\.\d+$/, 'expected a pinned MetalLB release >= v0.13 (CRD configuration) such as v0.14.9')
    .transform((v) => (v.startsWith('v') ? v : `v${v}`))
    .default('v0.14.9')
    .describe('Pinned MetalLB release (default v0.14.9); selects the manifest URL.'),
  manifest_url: z.url().optional().describe('Where the host fetches metallb-native.yaml at apply time; default: the release\'s config/manifests/metallb-native.yaml on raw.githubusercontent.com.'),
  manifest_file: z.string().min(1).optional().describe('A metallb-native.yaml on the controller, copied to the host instead of fetching.'),
  manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex').optional().describe('Expected sha256 of the manifest.'),
  kubeconfig: z.string().startsWith('/').default('/etc/kubernetes/admin.conf').describe('Kubeconfig on the first control plane used by every kubectl call.'),
  state_dir: z.string().startsWith('/').default('/var/lib/labwright/metallb').describe('Where the manifest lives on the first control plane.'),
  pools: z.array(poolVars).default([]).describe('Address pools for LoadBalancer services: `{ name, addresses, auto_assign: true, avoid_buggy_ips: false }`; `addresses` is a CIDR or range or a list of them (`10.4.11.0 - 10.4.15.254` accepted). No pools: MetalLB is not installed.'),
  advertisement: z
    .enum(['l2', 'bgp', 'none'])
    .optional()
    .describe('How the pools are announced: `l2` (ARP), `bgp` (to `bgp_peers`), `none` (MetalLB only allocates; e.g. Calico advertises them). Default: bgp when `bgp_peers` are set, else l2.'),
  l2_interfaces: z
    .array(z.string().regex(/^[A-Za-z0-9._-]+$/))
    .optional()
    .describe('L2 mode: answer ARP for service IPs only on these interfaces (L2Advertisement `interfaces`); default: the LAN interfaces — the link holding each node\'s address where `networking` names it, and the one holding the first control plane\'s address (`ip addr` fact); `[]` = every interface.'),
  node_selector: z.record(z.string(), z.string()).optional().describe('Only nodes with these labels announce (L2Advertisement/BGPAdvertisement nodeSelectors).'),
  bgp_peers: z.array(metallbPeerVars).default([]).describe('BGP routers (BGPPeer metallb.io/v1beta2): `{ name, my_asn, peer_asn, peer_address, peer_port?, source_address?, hold_time?, ebgp_multihop?, node_selector? }`.'),
  bgp_advertisement: z
    .strictObject({
      aggregation_length: z.number().int().min(0).max(32).optional().describe('Announce pools aggregated to this prefix length (default 32: one route per service IP).'),
      local_pref: z.number().int().min(0).max(4294967295).optional().describe('BGP LOCAL_PREF (iBGP only).'),
      communities: z.array(z.string().regex(/^\d+:\d+$/, 'a community such as 64500:100')).optional().describe('BGP communities attached to the announcements.'),
    })
    .prefault({})
    .describe('BGPAdvertisement options.'),
  wait_timeout: z.number().int().min(10).max(3600).default(300).describe('Seconds to wait for the MetalLB controller (its webhook validates every pool).'),
});

export type MetallbVars = z.output<typeof metallbVars>;

/** The announcement mode in force. */
export function advertisementOf(vars: MetallbVars): 'l2' | 'bgp' | 'none' {
  return vars.advertisement ?? (vars.bgp_peers.length > 0 ? 'bgp' : 'l2');
}

/** The host's `metallb` var parsed (undefined when unset or not valid: the role itself reports that). */
export function metallbOf(host: Host): MetallbVars | undefined {
  if (host.vars.metallb === undefined) return undefined;
  const parsed = metallbVars.safeParse(host.vars.metallb);
  return parsed.success ? parsed.data : undefined;
}

export function metallbDefaults(host: Host, inventory: Inventory): Record<string, unknown> {
  firstControlPlane(host, inventory);
  return {};
}

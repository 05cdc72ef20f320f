import { z } from 'zod';
import type { Host, Inventory } from '../../src/index.js';
import { clusterOf, endpointPort } from '../../src/net/cluster.js';
import { haproxyApiFrontend } from '../../src/net/control-plane-endpoint.js';
import { address, cidr, comment, interfaceName, port, portProtos, proto } from './fields.js';
import { forwardingIssues, forwardingVars } from './forward-vars.js';

export const PROFILES = ['control-plane', 'worker', 'gateway', 'dns-dhcp'] as const;
/** Profiles whose hosts are cluster nodes (the node-only ports accept them). */
export const NODE_PROFILES = ['control-plane', 'worker', 'gateway'] as const;
export type Profile = (typeof PROFILES)[number];

export const CNIS = ['calico', 'flannel', 'cilium', 'none'] as const;
export type Cni = (typeof CNIS)[number];

/** Group names that give a host a profile when none is set explicitly (kubeadm-style, kubespray and common homelab names). */
export const DEFAULT_PROFILE_GROUPS: Record<Profile, string[]> = {
  'control-plane': ['control_plane', 'kube_control_plane', 'masters', 'k8s_control_plane'],
  worker: ['workers', 'kube_node', 'k8s_workers'],
  gateway: ['gateways', 'loadbalancers', 'lb'],
  'dns-dhcp': ['dhcp_servers', 'dns_servers'],
};

const rawRuleText = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    if (/[\r\n;#]/.test(s)) ctx.addIssue({ code: 'custom', message: 'one nft rule: no line breaks, ";" or "#"' });
    let depth = 0;
    for (const c of s) {
      depth += c === '{' ? 1 : c === '}' ? -1 : 0;
      if (depth < 0) break;
    }
    if (depth !== 0) ctx.addIssue({ code: 'custom', message: 'unbalanced { } (a raw rule cannot leave the input chain)' });
  });

/** A custom rule: typed (proto, ports, saddr, iifname, action) or one raw nft rule. */
export const customRule = z
  .object({
    proto: proto
      .optional()
      .describe('tcp, udp, tcp+udp, icmp, icmpv6 or an IP protocol number (4 = IPIP, 47 = GRE, 112 = VRRP); omitted = any'),
    ports: z.array(port).min(1).optional().describe('Destination ports or ranges ("30000-32767"); only with tcp, udp or tcp+udp'),
    saddr: z.array(address).min(1).optional().describe('Source addresses or CIDRs (IPv4 and IPv6 may be mixed); omitted = any source'),
    iifname: interfaceName
      .optional()
      .describe('Incoming interface name, e.g. "br0" or "eth*"'),
    action: z.enum(['accept', 'drop', 'reject']).optional().describe('What to do with matching packets (default accept)'),
    raw: rawRuleText
      .optional()
      .describe('Instead of the typed fields: one rule in nft syntax, for what they cannot say (checked by `nft -c` before it goes live)'),
    comment: comment.optional().describe('Shown in `nft list ruleset` (no double quotes, max 128 bytes)'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.raw !== undefined) {
      const typed = (['proto', 'ports', 'saddr', 'iifname', 'action'] as const).filter((k) => r[k] !== undefined);
      if (typed.length > 0) ctx.addIssue({ code: 'custom', path: ['raw'], message: `raw cannot be combined with ${typed.join(', ')}` });
      return;
    }
    if (r.ports && !(portProtos as readonly unknown[]).includes(r.proto)) {
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ports need proto tcp, udp or tcp+udp' });
    }
    if (r.proto === undefined && !r.saddr && !r.iifname) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs at least one of proto, saddr or iifname (a rule matching everything would disable the firewall)' });
    }
  });

export type CustomRule = z.output<typeof customRule>;

export const firewallVars = z
  .object({
    profiles: z
      .array(z.enum(PROFILES))
      .optional()
      .describe('Port profiles for this host (control-plane, worker, gateway, dns-dhcp). Default: derived from the host\'s groups through profile_groups'),
    profile_groups: z
      .object({
        'control-plane': z.array(z.string()).default(DEFAULT_PROFILE_GROUPS['control-plane']),
        worker: z.array(z.string()).default(DEFAULT_PROFILE_GROUPS.worker),
        gateway: z.array(z.string()).default(DEFAULT_PROFILE_GROUPS.gateway),
        'dns-dhcp': z.array(z.string()).default(DEFAULT_PROFILE_GROUPS['dns-dhcp']),
      })
      .strict()
      .prefault({})
      .describe('Inventory groups whose hosts get each profile (cluster.control_plane_group and cluster.worker_group come first); the hosts of the control-plane, worker and gateway groups are the cluster nodes'),
    cni: z
      .enum(CNIS)
      .default('calico')
      .describe('CNI whose node-to-node ports to open (limited to cluster nodes). Default: cluster.cni if set, else the host var cni or kube_network_plugin, else calico'),
    wireguard: z.boolean().default(false).describe('Also open the CNI\'s WireGuard ports between cluster nodes (51820-51821/udp; Cilium 51871/udp)'),
    metallb: z
      .boolean()
      .default(false)
      .describe('Open MetalLB\'s memberlist port (7946 tcp+udp) between cluster nodes on Kubernetes nodes. Default: true when the host has a metallb var'),
    cluster_nodes: z
      .array(address)
      .optional()
      .describe('Addresses allowed to reach node-only ports (kubelet, CNI, haproxy metrics). Default: node_ip or ansible_host of every host in the control-plane, worker and gateway profile_groups'),
    control_plane_nodes: z
      .array(address)
      .optional()
      .describe('Addresses allowed to reach etcd (2379-2380). Default: node_ip or ansible_host of every host in the control-plane profile_groups'),
    admin_sources: z
      .array(address)
      .default([])
      .describe('Admin networks or hosts that may also read the haproxy stats/metrics port (besides the cluster nodes), e.g. the Prometheus host'),
    ingress: z
      .boolean()
      .default(false)
      .describe('Open 80/443 on gateways for ingress passthrough. Default: true when the host\'s haproxy.ingress.enabled is true'),
    pod_cidrs: z
      .array(cidr)
      .default([])
      .describe('Pod networks accepted on Kubernetes nodes. Default: cluster.pod_subnet if set, else the host var pod_cidr, pod_subnet, pod_network_cidr or kube_pods_subnet, else cluster.pod_subnet\'s default'),
    ssh_port: z.number().int().min(1).max(65535).describe('SSH port always kept open. Default: the port the controller connects to (ansible_port)'),
    api_lb_port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(6443)
      .describe('Port of the Kubernetes API load balancer on gateways. Default: the host\'s haproxy API front end port (haproxy.api.port, else the port of cluster.control_plane_endpoint, else 6443; 8443 on a control plane)'),
    lb_metrics_port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(8405)
      .describe('Port of the haproxy stats/metrics frontend on gateways (opened to cluster nodes and admin_sources only). Default: haproxy.metrics.port, else 8405'),
    ssh_allowed: z
      .boolean()
      .default(true)
      .describe('DANGEROUS: false drops the SSH allowance; the run then loses its new connection and the change is rolled back'),
    custom_rules: z
      .array(customRule)
      .default([])
      .describe('Extra rules, evaluated in order BEFORE SSH and the profiles (so a drop can block a source): typed {proto, ports, saddr, iifname, action, comment} or {raw}'),
    log_dropped: z.boolean().default(false).describe('Log dropped packets (rate-limited, prefix "labwright drop: ")'),
    rules_path: z
      .string()
      .regex(/^\/[^\0]*\.nft$/, 'an absolute path ending in .nft')
      .default('/etc/nftables.d/labwright.nft')
      .describe('The rules file (loaded at boot by labwright-firewall.service)'),
    rollback_after_sec: z
      .number()
      .int()
      .min(15)
      .max(3600)
      .default(90)
      .describe('Seconds after which the previous ruleset comes back unless a NEW SSH connection confirmed the change'),
    ...forwardingVars,
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const issue of forwardingIssues(v)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type FirewallVars = z.output<typeof firewallVars>;

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').flatMap(stringList);
  return [];
}

/**
 * Defaults derived from the host and inventory (lowest precedence): the SSH
 * port from the connection, and from the shared `cluster` var (src/net/cluster.ts)
 * the CNI, the pod network, the node groups and the API endpoint's port.
 * Values the `cluster` var sets explicitly win over older per-host names
 * (kube_network_plugin, kube_pods_subnet…), which win over cluster's defaults.
 */
export function firewallDefaults(host: Host, _inventory: Inventory): Record<string, unknown> {
  const cluster = clusterOf(host);
  const explicit = (typeof host.vars.cluster === 'object' && host.vars.cluster !== null ? host.vars.cluster : {}) as Record<string, unknown>;
  const legacyCni = [host.vars.cni, host.vars.kube_network_plugin].find((v) => typeof v === 'string' && (CNIS as readonly string[]).includes(v));
  const legacyPodVar = ['pod_cidr', 'pod_subnet', 'pod_network_cidr', 'kube_pods_subnet'].find((k) => host.vars[k] !== undefined);
  const apiPort = haproxyApiFrontend(host)?.port ?? endpointPort(cluster);
  const haproxy = (typeof host.vars.haproxy === 'object' && host.vars.haproxy !== null ? host.vars.haproxy : {}) as { ingress?: { enabled?: unknown }; metrics?: { port?: unknown } };
  const first = (group: string, rest: string[]) => [group, ...rest.filter((g) => g !== group)];
  return {
    ssh_port: host.connection.port,
    metallb: host.vars.metallb !== undefined,
    cni: explicit.cni !== undefined ? cluster.cni : (legacyCni ?? cluster.cni),
    pod_cidrs: explicit.pod_subnet !== undefined || !legacyPodVar ? [cluster.pod_subnet] : stringList(host.vars[legacyPodVar]),
    profile_groups: {
      'control-plane': first(cluster.control_plane_group, DEFAULT_PROFILE_GROUPS['control-plane']),
      worker: first(cluster.worker_group, DEFAULT_PROFILE_GROUPS.worker),
    },
    ...(apiPort ? { api_lb_port: apiPort } : {}),
    ingress: haproxy.ingress?.enabled === true,
    ...(typeof haproxy.metrics?.port === 'number' ? { lb_metrics_port: haproxy.metrics.port } : {}),
  };
}

import type { Host, Inventory } from '../../src/index.js';
import { renderTemplate } from '../../src/index.js';
import { contains, isIp } from '../../src/net/address.js';
import { addressesByFamily, nftReplaceTablePrelude, nftSetExpr, nftString, type AddressesByFamily } from '../../src/net/nft.js';
import { resolveRouting, routingChains, type Routing } from './forward.js';
import { protoMatch, rule, type Proto } from './match.js';
import { NODE_PROFILES, PROFILES, type Cni, type CustomRule, type FirewallVars, type Profile } from './vars.js';

export const TABLE = 'labwright';
export const NODE_SETS = { v4: 'cluster_nodes_v4', v6: 'cluster_nodes_v6' } as const;
export const CONTROL_PLANE_SETS = { v4: 'control_planes_v4', v6: 'control_planes_v6' } as const;

/** An allowance of a profile or CNI: protocol, ports, and who may send. */
export interface Allow {
  proto: Proto;
  /** Numbers or "a-b" ranges; 'api_lb_port' / 'lb_metrics_port' stand for the host's vars of that name. */
  ports?: (number | string)[];
  /** Who may send: anyone, the cluster nodes, the control planes only; `admin` adds `admin_sources`. */
  from: 'any' | 'nodes' | 'control-planes';
  admin?: boolean;
  comment: string;
}

/** Kubernetes ports by profile (kubernetes.io "Ports and Protocols"; gateway = haproxy + keepalived). */
export const PROFILE_RULES: Record<Profile, Allow[]> = {
  'control-plane': [
    { proto: 'tcp', ports: [6443], from: 'any', comment: 'kube-apiserver' },
    // kubeadm's stacked etcd: only the control planes' kube-apiservers and etcd peers talk to it
    { proto: 'tcp', ports: ['2379-2380'], from: 'control-planes', comment: 'etcd client and peer' },
    { proto: 'tcp', ports: [10250], from: 'nodes', comment: 'kubelet API' },
    { proto: 'tcp', ports: [10257], from: 'nodes', comment: 'kube-controller-manager' },
    { proto: 'tcp', ports: [10259], from: 'nodes', comment: 'kube-scheduler' },
  ],
  worker: [
    { proto: 'tcp', ports: [10250], from: 'nodes', comment: 'kubelet API' },
    { proto: 'tcp', ports: [10256], from: 'nodes', comment: 'kube-proxy health' },
    { proto: 'tcp+udp', ports: ['30000-32767'], from: 'any', comment: 'NodePort services' },
  ],
  gateway: [
    { proto: 'tcp', ports: ['api_lb_port'], from: 'any', comment: 'Kubernetes API load balancer' },
    // the metrics are for the cluster's Prometheus and the admins, not the LAN
    { proto: 'tcp', ports: ['lb_metrics_port'], from: 'nodes', admin: true, comment: 'haproxy stats and metrics' },
    // from any source: VRRP peers often advertise on a LAN interface whose addresses are not the cluster addresses (seed 003)
    { proto: 112, from: 'any', comment: 'VRRP (keepalived)' },
  ],
  'dns-dhcp': [
    { proto: 'tcp+udp', ports: [53], from: 'any', comment: 'DNS' },
    // dnsmasq receives DHCP on an ordinary UDP socket, so netfilter sees (and would drop) the requests
    { proto: 'udp', ports: [67], from: 'any', comment: 'DHCP' },
  ],
};

/** Gateways passing ingress traffic through (haproxy.ingress.enabled): 80/443 from anyone. */
export const INGRESS_RULES: Allow[] = [{ proto: 'tcp', ports: [80, 443], from: 'any', comment: 'ingress HTTP and HTTPS' }];

export const METALLB_RULES: Allow[] = [{ proto: 'tcp+udp', ports: [7946], from: 'nodes', comment: 'MetalLB memberlist' }];

/** Node-to-node ports of each CNI (Calico, Flannel and Cilium requirements pages). */
export const CNI_RULES: Record<Cni, Allow[]> = {
  calico: [
    { proto: 'tcp', ports: [179], from: 'nodes', comment: 'Calico BGP' },
    { proto: 4, from: 'nodes', comment: 'Calico IP-in-IP' },
    { proto: 'udp', ports: [4789], from: 'nodes', comment: 'Calico VXLAN' },
    { proto: 'tcp', ports: [5473], from: 'nodes', comment: 'Calico Typha' },
  ],
  flannel: [{ proto: 'udp', ports: [8472], from: 'nodes', comment: 'Flannel VXLAN' }],
  cilium: [
    { proto: 'udp', ports: [8472], from: 'nodes', comment: 'Cilium VXLAN' },
    { proto: 'udp', ports: [6081], from: 'nodes', comment: 'Cilium Geneve' },
    { proto: 'tcp', ports: [4240], from: 'nodes', comment: 'Cilium health' },
    { proto: 'tcp', ports: [4244], from: 'nodes', comment: 'Hubble server' },
  ],
  none: [],
};

export const WIREGUARD_RULES: Record<Cni, Allow[]> = {
  calico: [{ proto: 'udp', ports: ['51820-51821'], from: 'nodes', comment: 'Calico WireGuard (IPv4, IPv6)' }],
  flannel: [{ proto: 'udp', ports: ['51820-51821'], from: 'nodes', comment: 'Flannel WireGuard (IPv4, IPv6)' }],
  cilium: [{ proto: 'udp', ports: [51871], from: 'nodes', comment: 'Cilium WireGuard' }],
  none: [],
};

/** Everything the ruleset of one host depends on, after derivation. */
export interface Resolved {
  host: string;
  profiles: Profile[];
  cni: Cni;
  wireguard: boolean;
  metallb: boolean;
  nodes: AddressesByFamily;
  controlPlanes: AddressesByFamily;
  adminSources: AddressesByFamily;
  ingress: boolean;
  podCidrs: AddressesByFamily;
  sshPort: number;
  apiLbPort: number;
  lbMetricsPort: number;
  sshAllowed: boolean;
  customRules: CustomRule[];
  logDropped: boolean;
  /** Forwarding between segments, NAT and port forwards; undefined when the host does not route. */
  routing?: Routing;
}

/** The profiles a host gets from its groups. */
export function profilesFromGroups(host: Host, groups: FirewallVars['profile_groups']): Profile[] {
  return PROFILES.filter((p) => groups[p].some((g) => host.groups.includes(g)));
}

/** The address a cluster node is known by: node_ip if set, else ansible_host; must be an IP. */
export function nodeAddress(host: Host): string {
  const nodeIp = host.vars.node_ip;
  const address = typeof nodeIp === 'string' ? nodeIp : host.connection.address;
  if (!isIp(address)) {
    throw new Error(
      `firewall: cannot derive cluster_nodes: host ${host.name} is addressed as "${address}", not an IP; ` +
        `set node_ip (or ansible_host) to its IP, or set firewall.cluster_nodes`,
    );
  }
  return address;
}

/** Addresses of every host in the groups of the given profiles (default: the control-plane, worker and gateway ones), in inventory order. */
export function clusterNodesFromInventory(inventory: Inventory, groups: FirewallVars['profile_groups'], profiles: readonly Profile[] = NODE_PROFILES): string[] {
  const names = new Set(profiles.flatMap((p) => groups[p]).flatMap((g) => inventory.groups.get(g)?.hosts ?? []));
  return [...inventory.hosts.values()].filter((h) => names.has(h.name)).map(nodeAddress);
}

/**
 * A pod network that contains a node's own address would accept everything
 * from the LAN (a pod CIDR left at a default that overlaps the home network).
 */
function checkPodCidrs(podCidrs: string[], inventory: Inventory, groups: FirewallVars['profile_groups']): void {
  const names = new Set(NODE_PROFILES.flatMap((p) => groups[p]).flatMap((g) => inventory.groups.get(g)?.hosts ?? []));
  for (const h of [...inventory.hosts.values()].filter((x) => names.has(x.name))) {
    const address = typeof h.vars.node_ip === 'string' ? h.vars.node_ip : h.connection.address;
    const inside = isIp(address) ? podCidrs.find((c) => contains(c, address)) : undefined;
    if (inside) {
      throw new Error(
        `firewall: the pod network ${inside} contains ${h.name}'s address ${address}: accepting it would open every port to that LAN; ` +
          `set cluster.pod_subnet (or firewall.pod_cidrs) to the cluster's real pod network`,
      );
    }
  }
}

export function resolve(vars: FirewallVars, host: Host, inventory: Inventory): Resolved {
  const profiles = vars.profiles ? PROFILES.filter((p) => vars.profiles!.includes(p)) : profilesFromGroups(host, vars.profile_groups);
  const kubeNode = profiles.includes('control-plane') || profiles.includes('worker');
  if (kubeNode) checkPodCidrs(vars.pod_cidrs, inventory, vars.profile_groups);
  return {
    host: host.name,
    profiles,
    cni: vars.cni,
    wireguard: vars.wireguard,
    metallb: vars.metallb,
    nodes: addressesByFamily(vars.cluster_nodes ?? clusterNodesFromInventory(inventory, vars.profile_groups)),
    controlPlanes: addressesByFamily(vars.control_plane_nodes ?? clusterNodesFromInventory(inventory, vars.profile_groups, ['control-plane'])),
    adminSources: addressesByFamily(vars.admin_sources),
    ingress: vars.ingress,
    podCidrs: addressesByFamily(vars.pod_cidrs),
    sshPort: vars.ssh_port,
    apiLbPort: vars.api_lb_port,
    lbMetricsPort: vars.lb_metrics_port,
    sshAllowed: vars.ssh_allowed,
    customRules: vars.custom_rules,
    logDropped: vars.log_dropped,
    routing: resolveRouting(vars, kubeNode),
  };
}

/** One rule per address family present (none when `saddr` is given but empty). */
function withSources(sources: AddressesByFamily | '@nodes' | undefined, build: (saddr: string | undefined) => string): string[] {
  if (sources === undefined) return [build(undefined)];
  if (sources === '@nodes') return [build(`ip saddr @${NODE_SETS.v4}`), build(`ip6 saddr @${NODE_SETS.v6}`)];
  return [
    ...(sources.v4.length ? [build(`ip saddr ${nftSetExpr(sources.v4)}`)] : []),
    ...(sources.v6.length ? [build(`ip6 saddr ${nftSetExpr(sources.v6)}`)] : []),
  ];
}

export function customRuleLines(r: CustomRule): string[] {
  if (r.raw !== undefined) return [rule([r.raw.trim()], r.comment)];
  const sources = r.saddr ? addressesByFamily(r.saddr) : undefined;
  const iif = r.iifname ? `iifname ${nftString(r.iifname)}` : undefined;
  return withSources(sources, (saddr) => rule([iif, saddr, protoMatch(r.proto, r.ports), r.action ?? 'accept'], r.comment));
}

function allowLines(a: Allow, r: Pick<Resolved, 'nodes' | 'controlPlanes' | 'adminSources'>): string[] {
  const build = (saddr: string | undefined) => rule([saddr, protoMatch(a.proto, a.ports), 'accept'], a.comment);
  if (a.from === 'any') return [build(undefined)];
  // set-only: one rule per family that has addresses (an empty set would match nothing anyway)
  const [sets, members] = a.from === 'control-planes' ? [CONTROL_PLANE_SETS, r.controlPlanes] : [NODE_SETS, r.nodes];
  const lines = [
    ...(members.v4.length > 0 ? [build(`ip saddr @${sets.v4}`)] : []),
    ...(members.v6.length > 0 ? [build(`ip6 saddr @${sets.v6}`)] : []),
  ];
  return a.admin ? [...lines, ...withSources(r.adminSources, build)] : lines;
}

export interface Section {
  title: string;
  rules: string[];
}

/** The input chain's rules, in order, grouped for the rendered file. */
export function sections(r: Resolved): Section[] {
  const out: Section[] = [
    {
      title: 'conntrack, loopback, ICMP',
      rules: ['ct state established,related accept', 'ct state invalid drop', 'iif "lo" accept', 'meta l4proto { icmp, ipv6-icmp } accept'],
    },
  ];
  if (r.customRules.length > 0) out.push({ title: 'custom rules (firewall.custom_rules, in order)', rules: r.customRules.flatMap(customRuleLines) });
  out.push(
    r.sshAllowed
      ? { title: `SSH (port ${r.sshPort}, the controller's connection)`, rules: [rule([`tcp dport ${r.sshPort}`, 'accept'], 'ssh')] }
      : { title: 'SSH NOT allowed (firewall.ssh_allowed: false)', rules: [] },
  );
  const seen = new Set<string>();
  const once = (lines: string[]) => lines.filter((l) => !seen.has(l) && (seen.add(l), true));
  const withPorts = (a: Allow): Allow => ({ ...a, ports: a.ports?.map((p) => (p === 'api_lb_port' ? r.apiLbPort : p === 'lb_metrics_port' ? r.lbMetricsPort : p)) });
  for (const p of r.profiles) {
    const allows = [...(p === 'gateway' && r.ingress ? INGRESS_RULES : []), ...PROFILE_RULES[p]];
    out.push({ title: `profile ${p}`, rules: once(allows.map(withPorts).flatMap((a) => allowLines(a, r))) });
  }
  const kubeNode = r.profiles.includes('control-plane') || r.profiles.includes('worker');
  if (kubeNode && r.cni !== 'none') {
    const cniRules = [...CNI_RULES[r.cni], ...(r.wireguard ? WIREGUARD_RULES[r.cni] : [])];
    out.push({ title: `CNI ${r.cni} (cluster nodes only)`, rules: once(cniRules.flatMap((a) => allowLines(a, r))) });
  }
  if (kubeNode && r.metallb) out.push({ title: 'MetalLB (cluster nodes only)', rules: once(METALLB_RULES.flatMap((a) => allowLines(a, r))) });
  if (kubeNode && r.podCidrs.v4.length + r.podCidrs.v6.length > 0) {
    out.push({ title: 'pod network', rules: withSources(r.podCidrs, (saddr) => rule([saddr, 'accept'], 'pod network')) });
  }
  if (r.logDropped) {
    out.push({ title: 'log what the policy drops', rules: ['limit rate 5/second burst 10 packets log prefix "labwright drop: " level info'] });
  }
  return out.filter((s) => s.rules.length > 0 || s.title.startsWith('SSH NOT'));
}

const TEMPLATE = new URL('./templates/labwright.nft.hbs', import.meta.url);

/** The rules file: replaces table inet labwright atomically when loaded with `nft -f`. */
export function renderRuleset(r: Resolved): string {
  const nodeCount = r.nodes.v4.length + r.nodes.v6.length;
  return renderTemplate(TEMPLATE, {
    host: r.host,
    profiles: r.profiles.length ? r.profiles.join(', ') : 'none',
    cni: r.cni,
    nodeNote: nodeCount === 0 ? 'no cluster nodes known: node-only ports stay closed' : `${nodeCount} cluster node address(es)`,
    prelude: nftReplaceTablePrelude('inet', TABLE),
    table: TABLE,
    sets: [
      { name: NODE_SETS.v4, type: 'ipv4_addr', elements: r.nodes.v4 },
      { name: NODE_SETS.v6, type: 'ipv6_addr', elements: r.nodes.v6 },
      { name: CONTROL_PLANE_SETS.v4, type: 'ipv4_addr', elements: r.controlPlanes.v4 },
      { name: CONTROL_PLANE_SETS.v6, type: 'ipv6_addr', elements: r.controlPlanes.v6 },
    ],
    sections: sections(r),
    chains: r.routing ? routingChains(r.routing, r.logDropped) : [],
  });
}

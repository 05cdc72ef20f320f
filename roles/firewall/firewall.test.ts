import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { addressesByFamily, nftPorts } from '../../src/net/nft.js';
import { firewall } from './index.js';
import { renderRuleset, resolve, sections } from './ruleset.js';
import { firewallVars, type FirewallVars } from './vars.js';

/**
 * Rendering only (no SSH, no traffic). The addresses are the seeds' real-home
 * addresses, used as config text.
 */

/** Seed 001 (goldentooth): HAProxy on allyrion, three control planes, workers, Calico, pods 192.168.0.0/16. */
const SEED_001 = `all:
  vars:
    pod_cidr: 192.168.0.0/16
  children:
    gateways:
      hosts:
        allyrion: { ansible_host: 10.4.0.10 }
    control_plane:
      hosts:
        bettley: { ansible_host: 10.4.0.11 }
        cargyll: { ansible_host: 10.4.0.12 }
        dalt: { ansible_host: 10.4.0.13 }
    workers:
      hosts:
        erenford: { ansible_host: 10.4.0.21 }
        velaryon: { ansible_host: 10.4.0.30, ansible_port: 2222 }
    nas:
      hosts:
        nfs: { ansible_host: 10.4.0.50 }
`;

/** Seed 002 (VMStation): kubespray-style group names, Flannel VXLAN on the workers, pods 10.244.0.0/16. */
const SEED_002 = `all:
  vars:
    kube_network_plugin: flannel
    kube_pods_subnet: 10.244.0.0/16
  children:
    kube_control_plane:
      hosts:
        masternode: { ansible_host: 192.168.4.63 }
    kube_node:
      hosts:
        storagenodet3500: { ansible_host: 192.168.4.61 }
        homelab: { ansible_host: 192.168.4.62 }
`;

/** Seed 003: dual-homed gateways (VRRP on the LAN), masters and workers on vmnet2, Cilium, dual-stack pods. */
const SEED_003 = `all:
  vars:
    cni: cilium
    pod_cidr: "10.244.0.0/16,fd10:244::/56"
  children:
    gateways:
      hosts:
        gateway1: { ansible_host: 192.168.68.56, node_ip: 10.10.0.11 }
        gateway2: { ansible_host: 192.168.68.57, node_ip: 10.10.0.12 }
    masters:
      hosts:
        master1: { ansible_host: 10.10.0.131 }
        master2: { ansible_host: 10.10.0.132 }
        master3: { ansible_host: 10.10.0.133 }
    workers:
      hosts:
        worker1: { ansible_host: 10.10.0.141 }
        worker2: { ansible_host: fd00:10::142 }
`;

/** Seed 004: macOS lab, one gateway VM in front of control0-2 and worker0-2, group names of its own. */
const SEED_004 = `all:
  children:
    lb:
      hosts:
        gateway: { ansible_host: 192.168.200.3 }
    k8s_cp:
      hosts:
        control0: { ansible_host: 192.168.200.4 }
        control1: { ansible_host: 192.168.200.5 }
        control2: { ansible_host: 192.168.200.6 }
    k8s_w:
      hosts:
        worker0: { ansible_host: 192.168.200.7 }
        worker1: { ansible_host: 192.168.200.8 }
        worker2: { ansible_host: 192.168.200.9 }
        byname: { ansible_host: worker3.lab.example }
`;

/** Seed 000 (debvisor): a single-node cluster on br0 with Calico's default pool. */
const SEED_000 = `all:
  children:
    control_plane:
      hosts:
        node1: { ansible_host: 10.10.20.10, pod_cidr: 192.168.0.0/16 }
    workers:
      hosts:
        node1:
`;

const inventories: Record<string, Inventory> = {};
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-'));
  for (const [name, text] of Object.entries({ SEED_000, SEED_001, SEED_002, SEED_003, SEED_004 })) {
    writeFileSync(join(dir, `${name}.yaml`), text);
    inventories[name] = await loadInventory([join(dir, `${name}.yaml`)]);
  }
});

/** The role's typed vars for a host exactly as the engine resolves them (derived defaults < inventory < params). */
function varsFor(seed: string, host: string, params: Record<string, unknown> = {}): FirewallVars {
  const inv = inventories[seed];
  return resolveRoleVars(firewall.with(params), inv.hosts.get(host)!, inv) as FirewallVars;
}

function render(seed: string, host: string, params: Record<string, unknown> = {}): string {
  const inv = inventories[seed];
  return renderRuleset(resolve(varsFor(seed, host, params), inv.hosts.get(host)!, inv));
}

/** The rule lines of the input chain, in order. */
function chainRules(text: string): string[] {
  const body = text.slice(text.indexOf('chain input {'));
  return body
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('type ') && l !== '}');
}

function parseError(input: unknown): string {
  const r = firewallVars.safeParse({ ssh_port: 22, ...(input as object) });
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

describe('firewall ruleset', () => {
  it('replaces only its own table, atomically: create-if-missing, delete, define; never flush ruleset', () => {
    const text = render('SEED_001', 'erenford');
    expect(text).toContain('table inet labwright {}\ndelete table inet labwright\ntable inet labwright {\n');
    expect(text).not.toMatch(/^\s*flush/m); // only in the header comment that says never to
    expect(text).toContain('type filter hook input priority filter; policy drop;');
    expect(chainRules(text).slice(0, 4)).toEqual([
      'ct state established,related accept',
      'ct state invalid drop',
      'iif "lo" accept',
      'meta l4proto { icmp, ipv6-icmp } accept',
    ]);
  });

  it('worker on seed 001: kubelet and CNI only from the cluster nodes (every profile group host), NodePorts tcp+udp from anywhere, pod CIDR', () => {
    const text = render('SEED_001', 'erenford');
    expect(text).toContain('elements = { 10.4.0.10, 10.4.0.11, 10.4.0.12, 10.4.0.13, 10.4.0.21, 10.4.0.30 }');
    expect(text).not.toContain('10.4.0.50'); // the NAS is in no profile group
    expect(chainRules(text).slice(4)).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'ip saddr @cluster_nodes_v4 tcp dport 10250 accept comment "kubelet API"',
      'ip saddr @cluster_nodes_v4 tcp dport 10256 accept comment "kube-proxy health"',
      'meta l4proto { tcp, udp } th dport 30000-32767 accept comment "NodePort services"',
      'ip saddr @cluster_nodes_v4 tcp dport 179 accept comment "Calico BGP"',
      'ip saddr @cluster_nodes_v4 meta l4proto 4 accept comment "Calico IP-in-IP"',
      'ip saddr @cluster_nodes_v4 udp dport 4789 accept comment "Calico VXLAN"',
      'ip saddr @cluster_nodes_v4 tcp dport 5473 accept comment "Calico Typha"',
      'ip saddr 192.168.0.0/16 accept comment "pod network"',
    ]);
  });

  it('control plane: API from anywhere, etcd from the control planes only, kubelet/controller-manager/scheduler from nodes only', () => {
    const text = render('SEED_001', 'bettley');
    const rules = chainRules(text);
    expect(rules).toContain('tcp dport 6443 accept comment "kube-apiserver"');
    expect(rules).toContain('ip saddr @control_planes_v4 tcp dport 2379-2380 accept comment "etcd client and peer"');
    expect(text).toContain('set control_planes_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.4.0.11, 10.4.0.12, 10.4.0.13 }\n'); 
    expect(rules).toContain('ip saddr @cluster_nodes_v4 tcp dport 10257 accept comment "kube-controller-manager"');
    expect(rules).toContain('ip saddr @cluster_nodes_v4 tcp dport 10259 accept comment "kube-scheduler"');
    expect(rules).not.toContain('meta l4proto { tcp, udp } th dport 30000-32767 accept comment "NodePort services"');
  });

  it('gateway: 6443 for the LB, 8405 stats from the cluster nodes only, VRRP from any source (LAN peers); no ingress ports unless asked; no CNI ports, no pod network', () => {
    const rules = chainRules(render('SEED_001', 'allyrion'));
    expect(rules.slice(4)).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'tcp dport 6443 accept comment "Kubernetes API load balancer"',
      'ip saddr @cluster_nodes_v4 tcp dport 8405 accept comment "haproxy stats and metrics"',
      'meta l4proto 112 accept comment "VRRP (keepalived)"',
    ]);
    expect(chainRules(render('SEED_001', 'allyrion', { ingress: true, admin_sources: ['10.4.1.0/24'] })).slice(4, 8)).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'tcp dport { 80, 443 } accept comment "ingress HTTP and HTTPS"',
      'tcp dport 6443 accept comment "Kubernetes API load balancer"',
      'ip saddr @cluster_nodes_v4 tcp dport 8405 accept comment "haproxy stats and metrics"',
    ]);
    expect(chainRules(render('SEED_001', 'allyrion', { admin_sources: ['10.4.1.0/24'] }))).toContain('ip saddr 10.4.1.0/24 tcp dport 8405 accept comment "haproxy stats and metrics"');
  });

  it('the example inventories: etcd between control planes only, 80/443 only where ingress is on, stats not open to the LAN', async () => {
    const example = async (file: string) => loadInventory([fileURLToPath(new URL(`../../${file}`, import.meta.url))]);
    const rulesOf = (inv: Inventory, h: string) => {
      const host = inv.hosts.get(h)!;
      return renderRuleset(resolve(resolveRoleVars(firewall, host, inv) as FirewallVars, host, inv));
    };
    const home = await example('inventory/home.yaml');
    const cp1 = rulesOf(home, 'cp1');
    expect(chainRules(cp1)).toContain('ip saddr @control_planes_v4 tcp dport 2379-2380 accept comment "etcd client and peer"');
    expect(cp1).toContain('elements = { 192.168.50.11, 192.168.50.12, 192.168.50.13 }');
    const gw1 = chainRules(rulesOf(home, 'gw1'));
    expect(gw1.join('\n')).not.toContain('dport { 80, 443 }');
    expect(gw1).toContain('ip saddr @cluster_nodes_v4 tcp dport 8405 accept comment "haproxy stats and metrics"');
    expect(gw1).not.toContain('tcp dport 8405 accept comment "haproxy stats and metrics"');
    // a load balancer on a control plane serves the API on 8443 (kube-apiserver holds 6443): the gateway profile opens that port
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-cplb-'));
    writeFileSync(join(dir, 'inv.yaml'), 'all:\n  children:\n    control_plane: { hosts: { cp1: { ansible_host: 10.0.0.11 } } }\n    load_balancers: { children: { control_plane: } }\n    gateways: { children: { control_plane: } }\n');
    const cplb = await loadInventory([join(dir, 'inv.yaml')]);
    expect(chainRules(rulesOf(cplb, 'cp1'))).toContain('tcp dport 8443 accept comment "Kubernetes API load balancer"');
    // seed 003 passes ingress through its gateways
    const dmz = await example('inventory/examples/dmz-gateways.yaml');
    expect(chainRules(rulesOf(dmz, 'gateway1'))).toContain('tcp dport { 80, 443 } accept comment "ingress HTTP and HTTPS"');
  });

  it('a host in no profile group keeps only the base rules and SSH', () => {
    const v = varsFor('SEED_001', 'nfs');
    expect(resolve(v, inventories.SEED_001.hosts.get('nfs')!, inventories.SEED_001).profiles).toEqual([]);
    expect(chainRules(render('SEED_001', 'nfs')).slice(4)).toEqual(['tcp dport 22 accept comment "ssh"']);
  });

  it('SSH: the port comes from the connection spec (ansible_port), so a non-22 SSH port stays open', () => {
    expect(varsFor('SEED_001', 'velaryon').ssh_port).toBe(2222);
    const rules = chainRules(render('SEED_001', 'velaryon'));
    expect(rules).toContain('tcp dport 2222 accept comment "ssh"');
    expect(rules.join('\n')).not.toContain('dport 22 ');
  });

  it('ssh_allowed: false (the dangerous option) removes the SSH allowance and says so in the file', () => {
    const text = render('SEED_001', 'erenford', { ssh_allowed: false });
    expect(text).toContain('# SSH NOT allowed (firewall.ssh_allowed: false)');
    expect(text).not.toContain('comment "ssh"');
  });

  it('same port from two profiles appears once (control plane + worker on one node: kubelet 10250)', () => {
    const rules = chainRules(render('SEED_000', 'node1'));
    expect(rules.filter((r) => r.includes('dport 10250'))).toHaveLength(1);
    expect(rules).toContain('ip saddr 192.168.0.0/16 accept comment "pod network"');
  });

  it('seed 002: kubespray group names and kube_network_plugin/kube_pods_subnet are picked up (Flannel VXLAN 8472/udp)', () => {
    const v = varsFor('SEED_002', 'homelab');
    expect(v.cni).toBe('flannel');
    expect(v.pod_cidrs).toEqual(['10.244.0.0/16']);
    const rules = chainRules(render('SEED_002', 'homelab'));
    expect(rules).toContain('ip saddr @cluster_nodes_v4 udp dport 8472 accept comment "Flannel VXLAN"');
    expect(rules.join('\n')).not.toContain('Calico');
    expect(render('SEED_002', 'masternode')).toContain('elements = { 192.168.4.61, 192.168.4.62, 192.168.4.63 }');
  });

  it('seed 003: Cilium ports, node_ip instead of the LAN address, IPv6 nodes and dual-stack pods get ip6 rules', () => {
    const text = render('SEED_003', 'worker1', { profile_groups: { 'control-plane': ['masters'] }, wireguard: true });
    expect(text).toContain('elements = { 10.10.0.11, 10.10.0.12, 10.10.0.131, 10.10.0.132, 10.10.0.133, 10.10.0.141 }');
    expect(text).toContain('elements = { fd00:10::142 }');
    expect(text).not.toContain('192.168.68.56');
    const rules = chainRules(text);
    expect(rules).toContain('ip saddr @cluster_nodes_v4 udp dport 8472 accept comment "Cilium VXLAN"');
    expect(rules).toContain('ip6 saddr @cluster_nodes_v6 udp dport 8472 accept comment "Cilium VXLAN"');
    expect(rules).toContain('ip saddr @cluster_nodes_v4 tcp dport 4240 accept comment "Cilium health"');
    expect(rules).toContain('ip saddr @cluster_nodes_v4 udp dport 51871 accept comment "Cilium WireGuard"');
    expect(rules).toContain('ip saddr 10.244.0.0/16 accept comment "pod network"');
    expect(rules).toContain('ip6 saddr fd10:244::/56 accept comment "pod network"');
  });

  it('profile group names are configurable (seed 004) and profiles can be set explicitly', () => {
    // seed 004 names no pod network; Calico's default would contain its nodes (refused, see below), so one is set
    const groups = { profile_groups: { 'control-plane': ['k8s_cp'], worker: ['k8s_w'], gateway: ['lb'] }, pod_cidrs: ['10.200.0.0/16'] };
    const inv = inventories.SEED_004;
    const resolved = (host: string, extra = {}) => resolve(varsFor('SEED_004', host, { ...groups, ...extra }), inv.hosts.get(host)!, inv);
    expect(resolved('control1', { cluster_nodes: ['192.168.200.0/24'] }).profiles).toEqual(['control-plane']);
    expect(resolved('worker0', { cluster_nodes: ['192.168.200.0/24'] }).profiles).toEqual(['worker']);
    expect(resolved('gateway', { cluster_nodes: ['192.168.200.0/24'], profiles: ['gateway', 'worker'] }).profiles).toEqual(['worker', 'gateway']);
    // without the group mapping nothing applies: those group names are not among the defaults
    expect(resolve(varsFor('SEED_004', 'worker0'), inv.hosts.get('worker0')!, inv).profiles).toEqual([]);
  });

  it('a cluster node addressed by name cannot go into the node set: the error names the host and the fix', () => {
    const inv = inventories.SEED_004;
    const v = varsFor('SEED_004', 'worker0', { profile_groups: { worker: ['k8s_w'] }, pod_cidrs: ['10.200.0.0/16'] });
    expect(() => resolve(v, inv.hosts.get('worker0')!, inv)).toThrow(
      /host byname is addressed as "worker3\.lab\.example", not an IP; set node_ip \(or ansible_host\) to its IP, or set firewall\.cluster_nodes/,
    );
    // an explicit list (here a CIDR covering single addresses) wins and is collapsed for the interval set
    const text = renderRuleset(resolve({ ...v, cluster_nodes: ['192.168.200.7', '192.168.200.0/24', '192.168.201.9/32'] }, inv.hosts.get('worker0')!, inv));
    expect(text).toContain('elements = { 192.168.200.0/24, 192.168.201.9 }');
  });

  it('custom rules: typed (split per address family) and raw, in order, BEFORE SSH so a drop can block a source', () => {
    const rules = chainRules(
      render('SEED_001', 'erenford', {
        custom_rules: [
          { proto: 'tcp', ports: [9100], saddr: ['10.4.0.0/20', 'fd00::/64'], comment: 'node-exporter' },
          { saddr: ['10.4.7.0/24'], action: 'drop', comment: 'guest VLAN' },
          { proto: 'udp', ports: ['5353', 53], iifname: 'br0', action: 'reject' },
          { proto: 47, saddr: ['10.4.0.1'] },
          { raw: 'tcp dport 22 limit rate over 10/minute drop', comment: 'ssh brute force' },
        ],
      }),
    );
    const ssh = rules.indexOf('tcp dport 22 accept comment "ssh"');
    expect(rules.slice(4, ssh)).toEqual([
      'ip saddr 10.4.0.0/20 tcp dport 9100 accept comment "node-exporter"',
      'ip6 saddr fd00::/64 tcp dport 9100 accept comment "node-exporter"',
      'ip saddr 10.4.7.0/24 drop comment "guest VLAN"',
      'iifname "br0" udp dport { 53, 5353 } reject',
      'ip saddr 10.4.0.1 meta l4proto 47 accept',
      'tcp dport 22 limit rate over 10/minute drop comment "ssh brute force"',
    ]);
  });

  it('sections are ordered: base, custom, SSH, profiles, CNI, pod network, log', () => {
    const r = resolve(varsFor('SEED_001', 'bettley', { custom_rules: [{ raw: 'tcp dport 9 drop' }], log_dropped: true }), inventories.SEED_001.hosts.get('bettley')!, inventories.SEED_001);
    expect(sections(r).map((s) => s.title)).toEqual([
      'conntrack, loopback, ICMP',
      'custom rules (firewall.custom_rules, in order)',
      "SSH (port 22, the controller's connection)",
      'profile control-plane',
      'CNI calico (cluster nodes only)',
      'pod network',
      'log what the policy drops',
    ]);
  });

  it('the shared cluster var: node groups, CNI, pod subnet and the API endpoint port come from it; its explicit values beat older names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-cluster-'));
    writeFileSync(
      join(dir, 'inv.yaml'),
      `all:
  vars:
    kube_network_plugin: flannel
    kube_pods_subnet: 10.244.0.0/16
    cluster: { cni: cilium, pod_subnet: 10.50.0.0/16, control_plane_group: k8s_masters, worker_group: k8s_minions, control_plane_endpoint: "10.0.0.10:8443" }
  children:
    k8s_masters: { hosts: { m1: { ansible_host: 10.0.0.11 } } }
    k8s_minions: { hosts: { n1: { ansible_host: 10.0.0.21 } } }
    gateways: { hosts: { g1: { ansible_host: 10.0.0.2 } } }
    plain: { hosts: { p1: { ansible_host: 10.0.0.30, cluster: {} } } }
`,
    );
    const inv = await loadInventory([join(dir, 'inv.yaml')]);
    const vars = (h: string) => resolveRoleVars(firewall, inv.hosts.get(h)!, inv) as FirewallVars;
    const rules = (h: string) => chainRules(renderRuleset(resolve(vars(h), inv.hosts.get(h)!, inv)));
    expect(vars('n1')).toMatchObject({ cni: 'cilium', pod_cidrs: ['10.50.0.0/16'], api_lb_port: 8443 });
    expect(resolve(vars('m1'), inv.hosts.get('m1')!, inv).profiles).toEqual(['control-plane']);
    expect(resolve(vars('n1'), inv.hosts.get('n1')!, inv).nodes.v4).toEqual(['10.0.0.2', '10.0.0.11', '10.0.0.21']);
    expect(rules('n1')).toContain('ip saddr @cluster_nodes_v4 tcp dport 4240 accept comment "Cilium health"');
    expect(rules('n1')).toContain('ip saddr 10.50.0.0/16 accept comment "pod network"');
    expect(rules('g1')).toContain('tcp dport 8443 accept comment "Kubernetes API load balancer"');
    expect(rules('m1')).toContain('tcp dport 6443 accept comment "kube-apiserver"');
    // a host whose cluster var leaves them unset: the older names win over cluster's defaults
    expect(vars('p1')).toMatchObject({ cni: 'flannel', pod_cidrs: ['10.244.0.0/16'], api_lb_port: 6443 });
  });

  it('a pod network containing a node\'s own address is refused (it would open every port to the LAN)', () => {
    const groups = { profile_groups: { 'control-plane': ['k8s_cp'], worker: ['k8s_w'], gateway: ['lb'] }, cluster_nodes: ['192.168.200.0/24'] };
    // seed 004's nodes live in 192.168.200.0/24: cluster's default pod subnet 192.168.0.0/16 would swallow them
    expect(() => render('SEED_004', 'worker0', groups)).toThrow(
      /the pod network 192\.168\.0\.0\/16 contains gateway's address 192\.168\.200\.3: accepting it would open every port to that LAN; set cluster\.pod_subnet/,
    );
    // a gateway accepts no pod network, so nothing to refuse there
    expect(render('SEED_004', 'gateway', groups)).not.toContain('pod network');
  });

  it('without any pod network var the default is cluster\'s pod subnet (Calico\'s 192.168.0.0/16)', () => {
    expect(varsFor('SEED_003', 'worker1', { cni: 'cilium' }).pod_cidrs).toEqual(['10.244.0.0/16', 'fd10:244::/56']); // seed 003 sets pod_cidr
    expect(varsFor('SEED_002', 'homelab').pod_cidrs).toEqual(['10.244.0.0/16']);
    expect(varsFor('SEED_004', 'worker0').pod_cidrs).toEqual(['192.168.0.0/16']); // nothing set: cluster's default
  });

  it('home-lab site: the DHCP/DNS gateway gets DNS and DHCP, MetalLB nodes get memberlist, a DNS-only box is no cluster node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-home-'));
    writeFileSync(
      join(dir, 'inv.yaml'),
      `all:
  vars:
    cluster: { pod_subnet: 10.244.0.0/16 }
  children:
    gateways: { hosts: { gw1: { ansible_host: 192.168.50.2 } } }
    dhcp_servers: { hosts: { gw1: , pi: { ansible_host: 192.168.50.5 } } }
    k8s:
      vars: { metallb: { pools: [{ name: lan, addresses: 192.168.50.200-192.168.50.230 }] } }
      children:
        control_plane: { hosts: { cp1: { ansible_host: 192.168.50.11 } } }
        workers: { hosts: { w1: { ansible_host: 192.168.50.21 } } }
`,
    );
    const inv = await loadInventory([join(dir, 'inv.yaml')]);
    const resolved = (h: string) => resolve(resolveRoleVars(firewall, inv.hosts.get(h)!, inv) as FirewallVars, inv.hosts.get(h)!, inv);
    const rules = (h: string) => chainRules(renderRuleset(resolved(h)));
    expect(resolved('gw1').profiles).toEqual(['gateway', 'dns-dhcp']);
    expect(rules('gw1')).toEqual(expect.arrayContaining(['meta l4proto { tcp, udp } th dport 53 accept comment "DNS"', 'udp dport 67 accept comment "DHCP"']));
    expect(rules('gw1').join('\n')).not.toContain('MetalLB');
    expect(rules('w1')).toContain('ip saddr @cluster_nodes_v4 meta l4proto { tcp, udp } th dport 7946 accept comment "MetalLB memberlist"');
    expect(rules('w1').join('\n')).not.toContain('DHCP');
    expect(resolved('w1').nodes.v4).toEqual(['192.168.50.2', '192.168.50.11', '192.168.50.21']); // not the DNS-only pi
    expect(resolved('pi').profiles).toEqual(['dns-dhcp']);
  });

  it('precedence: derived defaults < inventory (firewall: …) < play params', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-prec-'));
    writeFileSync(
      join(dir, 'inv.yaml'),
      `all:
  vars:
    pod_cidr: 10.244.0.0/16
    cni: flannel
  children:
    workers:
      hosts:
        w1: { ansible_host: 10.0.0.21, ansible_port: 2200, firewall: { cni: cilium, rollback_after_sec: 30 } }
`,
    );
    const inv = await loadInventory([join(dir, 'inv.yaml')]);
    const w1 = inv.hosts.get('w1')!;
    const fromInventory = resolveRoleVars(firewall, w1, inv) as FirewallVars;
    expect(fromInventory).toMatchObject({ ssh_port: 2200, pod_cidrs: ['10.244.0.0/16'], cni: 'cilium', rollback_after_sec: 30 });
    const fromParams = resolveRoleVars(firewall.with({ cni: 'none', pod_cidrs: [] }), w1, inv) as FirewallVars;
    expect(fromParams).toMatchObject({ cni: 'none', pod_cidrs: [], ssh_port: 2200 });
  });
});

describe('firewall vars schema', () => {
  it('rejects ports without tcp/udp, out-of-range ports, bad sources, comments that would break the quoting', () => {
    expect(parseError({ custom_rules: [{ proto: 'icmp', ports: [8] }] })).toContain('custom_rules.0.ports: ports need proto tcp, udp or tcp+udp');
    expect(parseError({ custom_rules: [{ proto: 'tcp', ports: [70000] }] })).toContain('port 70000 is outside 1-65535');
    expect(parseError({ custom_rules: [{ proto: 'tcp', ports: ['200-100'] }] })).toContain('range 200-100 ends before it starts');
    expect(parseError({ custom_rules: [{ proto: 'tcp', saddr: ['10.0.0.300'] }] })).toContain('not an IP address or CIDR');
    expect(parseError({ custom_rules: [{ proto: 'tcp', comment: 'say "hi"' }] })).toContain('comment may not contain ", \\ or a line break');
    expect(parseError({ custom_rules: [{ action: 'accept' }] })).toContain('a rule matching everything would disable the firewall');
    expect(parseError({ custom_rules: [{ proto: 'tcp', dport: 80 }] })).toMatch(/Unrecognized key|dport/);
  });

  it('a raw rule stays one rule inside the input chain, and is not mixed with typed fields', () => {
    expect(parseError({ custom_rules: [{ raw: 'tcp dport 1 accept', proto: 'tcp' }] })).toContain('custom_rules.0.raw: raw cannot be combined with proto');
    expect(parseError({ custom_rules: [{ raw: 'accept }\nflush ruleset' }] })).toContain('one nft rule');
    expect(parseError({ custom_rules: [{ raw: 'accept } table ip x { chain y { }' }] })).toContain('unbalanced { }');
    expect(parseError({ custom_rules: [{ raw: 'tcp dport 1 accept; flush ruleset' }] })).toContain('one nft rule');
  });

  it('rollback window, rules path, pod CIDRs and profiles are checked', () => {
    expect(parseError({ rollback_after_sec: 5 })).toContain('rollback_after_sec');
    expect(parseError({ rules_path: 'labwright.nft' })).toContain('an absolute path ending in .nft');
    expect(parseError({ pod_cidrs: ['10.244.0.0'] })).toContain('not a CIDR');
    expect(parseError({ profiles: ['router'] })).toContain('profiles.0');
    expect(parseError({ ssh_port: undefined })).toContain('ssh_port');
  });

  it('unknown keys are refused (a typo must not silently leave a port open or closed)', () => {
    expect(parseError({ ssh_alowed: false })).toMatch(/ssh_alowed/);
  });
});

describe('nft helpers', () => {
  it('ports: canonical, deduplicated, sorted', () => {
    expect(nftPorts([443, '80', '30000 - 32767', 80])).toEqual(['80', '443', '30000-32767']);
  });

  it('addresses: split by family, canonical, deduplicated, covered entries dropped, sorted', () => {
    expect(addressesByFamily(['10.0.0.7/24', '10.0.0.5', '10.1.0.1/32', 'FD00::1', 'fd00:0::1', '2001:db8::/32', '2001:db8:1::1', '9.9.9.9'])).toEqual({
      v4: ['9.9.9.9', '10.0.0.0/24', '10.1.0.1'],
      v6: ['2001:db8::/32', 'fd00::1'],
    });
  });
});

/** Real nft, but only in a throwaway network namespace of this test (`unshare -n`): the controller's own ruleset is never touched. */
const canUnshareNft = spawnSync('unshare', ['-n', 'nft', 'list', 'ruleset']).status === 0;

describe.skipIf(!canUnshareNft)('rendered rulesets load in nft (throwaway network namespace)', () => {
  const nftInNetns = (script: string) => spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8' });

  it('every seed host ruleset passes nft -c, loads twice (replace is idempotent) and leaves a foreign table alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-nft-'));
    const cases: [string, string, Record<string, unknown>][] = [
      ['SEED_000', 'node1', { log_dropped: true, metallb: true, profiles: ['control-plane', 'worker', 'dns-dhcp'] }],
      ['SEED_001', 'allyrion', {}],
      ['SEED_001', 'bettley', { wireguard: true }],
      ['SEED_001', 'velaryon', { custom_rules: [{ proto: 'tcp+udp', ports: [53], saddr: ['10.4.0.0/20', 'fd00::/8'] }, { raw: 'tcp dport 22 limit rate over 10/minute drop' }] }],
      ['SEED_002', 'homelab', {}],
      ['SEED_003', 'worker1', { profile_groups: { 'control-plane': ['masters'] }, wireguard: true }],
      ['SEED_004', 'control0', { profile_groups: { 'control-plane': ['k8s_cp'] }, cluster_nodes: ['192.168.200.0/24'], pod_cidrs: ['10.200.0.0/16'], ssh_allowed: false }],
    ];
    for (const [seed, host, params] of cases) {
      const path = join(dir, `${seed}-${host}.nft`);
      writeFileSync(path, render(seed, host, params));
      const r = nftInNetns(
        `nft -c -f ${path} && nft add table ip kube-proxy-test && nft add chain ip kube-proxy-test x && nft -f ${path} && nft -f ${path} && nft list tables`,
      );
      expect({ case: `${seed}/${host}`, status: r.status, stderr: r.stderr }).toEqual({ case: `${seed}/${host}`, status: 0, stderr: '' });
      expect(r.stdout).toBe('table ip kube-proxy-test\ntable inet labwright\n');
    }
  });

  it('nft -c rejects a broken raw rule (the schema cannot know nft grammar)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-nft-'));
    const path = join(dir, 'broken.nft');
    writeFileSync(path, render('SEED_001', 'erenford', { custom_rules: [{ raw: 'tcp dport 22 acept' }] }));
    const r = nftInNetns(`nft -c -f ${path}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('acept');
  });
});

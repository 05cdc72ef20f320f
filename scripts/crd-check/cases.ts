import { resolveRoleVars } from '../../src/engine/role-vars.js';
import type { RoleUse } from '../../src/engine/definitions.js';
import { deepMerge } from '../../src/engine/merge.js';
import type { Host, Inventory, Vars } from '../../src/inventory/types.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import { calico } from '../../roles/calico/index.js';
import { calicoModel, calicoResources } from '../../roles/calico/model.js';
import type { CalicoVars } from '../../roles/calico/vars.js';
import { metallb } from '../../roles/metallb/index.js';
import { metallbResources } from '../../roles/metallb/model.js';
import type { MetallbVars } from '../../roles/metallb/vars.js';

/**
 * Representative var sets for the calico and metallb roles — each seed's
 * design among them — rendered through the roles' own code, exactly as a
 * run renders them (role defaults < inventory vars < play params).
 */

export interface InventorySpec {
  /** group_vars/all */
  all?: Vars;
  /** group → hosts, in inventory order */
  groups: Record<string, string[]>;
  hostVars?: Record<string, Vars>;
}

/** A small in-memory inventory (no files): enough for roles' defaults and models. */
export function clusterInventory(spec: InventorySpec): Inventory {
  const names = [...new Set(Object.values(spec.groups).flat())];
  const hosts = new Map<string, Host>(
    names.map((name) => {
      const groups = ['all', ...Object.keys(spec.groups).filter((g) => spec.groups[g].includes(name))];
      const vars = deepMerge(spec.all ?? {}, spec.hostVars?.[name] ?? {});
      const host: Host = { name, vars, groups, connection: { kind: 'ssh', address: name, port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } };
      return [name, host];
    }),
  );
  const groups = new Map(Object.entries({ ...spec.groups, all: names }).map(([name, members]) => [name, { name, children: [], hosts: members, ownHosts: members, vars: {} }]));
  return {
    sources: ['(in memory)'],
    hosts,
    groups,
    select: (pattern) => {
      const g = groups.get(pattern);
      if (g) return g.hosts.map((h) => hosts.get(h)!);
      const h = hosts.get(pattern);
      if (h) return [h];
      throw new Error(`in-memory inventory: unknown pattern ${pattern}`);
    },
    origin: () => undefined,
  };
}

/** The first host of an inventory. */
export function firstHost(inventory: Inventory): Host {
  return [...inventory.hosts.values()][0];
}

export function calicoVarsFor(inventory: Inventory, params: Record<string, unknown> = {}, host = firstHost(inventory)): CalicoVars {
  const use: RoleUse = Object.keys(params).length > 0 ? calico.with(params) : calico;
  return resolveRoleVars(use, host, inventory) as CalicoVars;
}

export function metallbVarsFor(inventory: Inventory, params: Record<string, unknown> = {}, host = firstHost(inventory)): MetallbVars {
  const use: RoleUse = Object.keys(params).length > 0 ? metallb.with(params) : metallb;
  return resolveRoleVars(use, host, inventory) as MetallbVars;
}

/** Everything the calico role applies for this inventory (first control plane's view). */
export function renderCalico(inventory: Inventory, params: Record<string, unknown> = {}): K8sObject[] {
  const host = firstHost(inventory);
  const vars = calicoVarsFor(inventory, params, host);
  return calicoResources(vars, calicoModel(vars, host));
}

export function renderMetallb(inventory: Inventory, params: Record<string, unknown> = {}): K8sObject[] {
  return metallbResources(metallbVarsFor(inventory, params));
}

export interface Case {
  name: string;
  render(): K8sObject[];
}

const twoNodes = { control_plane: ['cp1'], workers: ['w1'] };

/** Seed 001 (goldentooth): infrastructure 10.4.0.0/20, services 172.16.0.0/20, pods 192.168.0.0/16, router 10.4.0.1 AS 64500, cluster AS 64501. */
export const seed001 = {
  lan: { subnet: '10.4.0.0/20', gateway: '10.4.0.1', domain: 'goldentooth.net' },
  cluster: { pod_subnet: '192.168.0.0/16', service_subnet: '172.16.0.0/20', control_plane_endpoint: '10.4.0.10:6443' },
};
const seed001Groups = { control_plane: ['bettley', 'cargyll', 'dalt'], workers: ['erenford', 'velaryon'] };
const seed001Hosts = { bettley: { ip: '10.4.0.11' }, cargyll: { ip: '10.4.0.12' }, dalt: { ip: '10.4.0.13' }, velaryon: { ip: '10.4.0.30' } };
/** Seed 001's MetalLB configuration, as the write-up gives it (spaced range included). */
export const seed001Metallb = {
  pools: [{ name: 'goldentooth', addresses: '10.4.11.0 - 10.4.15.254' }],
  bgp_peers: [{ name: 'router', my_asn: 64501, peer_asn: 64500, peer_address: '10.4.0.1' }],
};

export const calicoCases: Case[] = [
  {
    name: 'seed 000 (Debvisor): Calico default pool 192.168.0.0/16, nodes on br0 10.10.20.0/24',
    render: () => renderCalico(clusterInventory({ all: { lan: { subnet: '10.10.20.0/24', domain: 'debvisor.local' } }, groups: { control_plane: ['node1'], workers: ['node2'] } })),
  },
  {
    name: 'seed 001 (goldentooth): BGP AS 64501, router peer 10.4.0.1 AS 64500, MetalLB pool announced by Calico',
    render: () =>
      renderCalico(
        clusterInventory({
          all: {
            ...seed001,
            calico: { bgp_configuration: { as_number: 64501 }, bgp_peers: [{ name: 'router', peer_ip: '10.4.0.1', as_number: 64500 }] },
            metallb: { pools: seed001Metallb.pools, advertisement: 'none' },
          },
          groups: seed001Groups,
          hostVars: seed001Hosts,
        }),
      ),
  },
  {
    name: 'seed 002 (VMStation): IPIP over pods 10.244.0.0/16',
    render: () => renderCalico(clusterInventory({ all: { lan: { subnet: '192.168.4.0/24' }, cluster: { pod_subnet: '10.244.0.0/16' }, calico: { ip_pools: [{ encapsulation: 'IPIP' }] } }, groups: { control_plane: ['masternode'], workers: ['storagenodet3500', 'homelab'] } })),
  },
  ...(['IPIPCrossSubnet', 'VXLAN', 'VXLANCrossSubnet', 'None'] as const).map((encapsulation) => ({
    name: `encapsulation ${encapsulation}, block size 28, no NAT`,
    render: () => renderCalico(clusterInventory({ all: { calico: { ip_pools: [{ encapsulation, block_size: 28, nat_outgoing: false }] } }, groups: twoNodes })),
  })),
  {
    name: 'two pools (rack selectors), MTU 1450, BGP without mesh, service IPs announced',
    render: () =>
      renderCalico(
        clusterInventory({
          all: {
            cluster: { pod_subnet: '10.244.0.0/16' },
            calico: {
              mtu: 1450,
              ip_pools: [
                { cidr: '10.244.0.0/17', node_selector: "rack == 'a'", block_size: 24 },
                { name: 'rack-b', cidr: '10.244.128.0/17', node_selector: "rack == 'b'", encapsulation: 'IPIPCrossSubnet' },
              ],
              bgp_configuration: { as_number: 64512, node_to_node_mesh: false, service_cluster_ips: ['10.96.0.0/12'], service_external_ips: ['10.0.50.0/24'] },
              bgp_peers: [
                { name: 'tor-a', peer_ip: '10.0.0.1', as_number: 64513, node_selector: "rack == 'a'" },
                { name: 'tor-cp1', peer_ip: '10.0.0.2', as_number: 64513, node: 'cp1' },
              ],
            },
          },
          groups: twoNodes,
        }),
      ),
  },
  {
    name: 'manifest mode (calico.yaml): IPPool resources, VXLAN, BGP peer',
    render: () => renderCalico(clusterInventory({ all: { calico: { mode: 'manifest', ip_pools: [{ encapsulation: 'VXLAN' }], bgp_peers: [{ name: 'router', peer_ip: '10.0.0.1', as_number: 64500 }] } }, groups: twoNodes })),
  },
  {
    name: 'projectcalico.org/v3 through the API server (seed 001 BGP)',
    render: () => renderCalico(clusterInventory({ all: { ...seed001, calico: { resource_api: 'projectcalico.org/v3', bgp_configuration: { as_number: 64501 }, bgp_peers: [{ name: 'router', peer_ip: '10.4.0.1', as_number: 64500 }] } }, groups: seed001Groups, hostVars: seed001Hosts })),
  },
];

export const metallbCases: Case[] = [
  {
    name: 'seed 001 (goldentooth): pool "10.4.11.0 - 10.4.15.254", BGP to 10.4.0.1 (64501 → 64500)',
    render: () => renderMetallb(clusterInventory({ all: { ...seed001, metallb: seed001Metallb }, groups: seed001Groups, hostVars: seed001Hosts })),
  },
  {
    name: 'seed 002 (VMStation LAN 192.168.4.0/24): L2 pool on eth0',
    render: () => renderMetallb(clusterInventory({ all: { lan: { subnet: '192.168.4.0/24', gateway: '192.168.4.1' }, cluster: { pod_subnet: '10.244.0.0/16' }, metallb: { pools: [{ name: 'lan', addresses: ['192.168.4.200-192.168.4.220'] }], l2_interfaces: ['eth0'] } }, groups: { control_plane: ['masternode'], workers: ['homelab'] }, hostVars: { masternode: { ip: '192.168.4.63' }, homelab: { ip: '192.168.4.62' } } })),
  },
  {
    name: 'two pools (CIDR + range), manual pool, BGP advertisement options, node selectors',
    render: () =>
      renderMetallb(
        clusterInventory({
          all: {
            metallb: {
              pools: [
                { name: 'public', addresses: ['10.0.50.0/24', '10.0.51.10 - 10.0.51.20'], avoid_buggy_ips: true },
                { name: 'manual', addresses: '10.0.52.0/28', auto_assign: false },
              ],
              node_selector: { 'node-role.kubernetes.io/lb': '' },
              bgp_peers: [{ name: 'edge', my_asn: 4200000001, peer_asn: 4200000000, peer_address: '10.0.0.1', peer_port: 1179, hold_time: '90s', ebgp_multihop: true, node_selector: { rack: 'a' } }],
              bgp_advertisement: { aggregation_length: 32, local_pref: 100, communities: ['64500:100'] },
            },
          },
          groups: twoNodes,
        }),
      ),
  },
  {
    name: 'pool only (advertisement none: another speaker announces it)',
    render: () => renderMetallb(clusterInventory({ all: { metallb: { pools: [{ name: 'lan', addresses: '10.0.60.0/24' }], advertisement: 'none' } }, groups: twoNodes })),
  },
];

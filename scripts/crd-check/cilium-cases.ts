import { fileURLToPath } from 'node:url';
import type { RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import type { Inventory } from '../../src/inventory/types.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import { cilium } from '../../roles/cilium/index.js';
import { ciliumResources } from '../../roles/cilium/model.js';
import type { CiliumVars } from '../../roles/cilium/vars.js';
import { clusterInventory, firstHost, seed001, type Case } from './cases.js';

/** The vendored upstream Cilium CRDs (test/fixtures/cilium/PROVENANCE.md): part of the repository, always there. */
export const CILIUM_CRD_DIR = fileURLToPath(new URL('../../test/fixtures/cilium/crds', import.meta.url));

export function ciliumVarsFor(inventory: Inventory, host = firstHost(inventory)): CiliumVars {
  return resolveRoleVars(cilium as RoleUse, host, inventory) as CiliumVars;
}

export function renderCilium(inventory: Inventory): K8sObject[] {
  return ciliumResources(ciliumVarsFor(inventory));
}

/** Seed 003 (dmz-gateways): masters .131-.133, workers .141-.142 on vmnet2 10.10.0.0/24, pods 10.244.0.0/16, API behind the gateways' VIP. */
export const seed003 = {
  lan: { subnet: '10.10.0.0/24', gateway: '10.10.0.2', domain: 'dmz.local' },
  cluster: { pod_subnet: '10.244.0.0/16', service_subnet: '10.96.0.0/12', control_plane_endpoint: '10.10.0.10:6443', cni: 'cilium' },
};
export const seed003Groups = { control_plane: ['master1', 'master2', 'master3'], workers: ['worker1', 'worker2'] };

/** Representative var sets: seed 003's L2 pool on the internal NIC, a BGP design in seed 001's numbers, ranges and CIDRs. */
export const ciliumCases: Case[] = [
  {
    name: 'seed 003 (dmz-gateways): L2 pool 10.10.0.200/29 announced on ens192 only',
    render: () =>
      renderCilium(clusterInventory({
        all: { ...seed003, cilium: { routing: { mode: 'native' }, hubble: { enabled: true, relay: true, ui: true }, load_balancer: { pools: [{ name: 'vmnet2', addresses: '10.10.0.200/29' }], l2_interfaces: ['^ens192$'] } } },
        groups: seed003Groups,
      })),
  },
  {
    name: 'seed 001 numbers with Cilium: BGP AS 64501 to the router 10.4.0.1 AS 64500, pool "10.4.11.0 - 10.4.15.254", pod CIDRs advertised',
    render: () =>
      renderCilium(clusterInventory({
        all: {
          ...seed001,
          cluster: { ...seed001.cluster, cni: 'cilium' },
          cilium: { routing: { mode: 'native', auto_direct_node_routes: false }, load_balancer: { announce: 'bgp', pools: [{ name: 'goldentooth', addresses: '10.4.11.0 - 10.4.15.254' }], bgp: { local_asn: 64501, peers: [{ name: 'router', address: '10.4.0.1', asn: 64500 }] } } },
        },
        groups: { control_plane: ['bettley'], workers: ['erenford'] },
      })),
  },
  {
    name: 'two pools (a CIDR and a range in one, a CIDR in the other), L2 on every interface',
    render: () =>
      renderCilium(clusterInventory({
        all: { cluster: { pod_subnet: '10.244.0.0/16', cni: 'cilium' }, cilium: { load_balancer: { pools: [{ name: 'a', addresses: ['192.168.50.240/28', '192.168.50.230-192.168.50.235'] }, { name: 'b', addresses: '192.168.51.0/24' }] } } },
        groups: { control_plane: ['cp1'], workers: ['w1'] },
      })),
  },
];

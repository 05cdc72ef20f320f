import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { hostAddresses } from '../../src/net/lan.js';
import type { Claim } from '../../src/plan/claims.js';
import { nodePorts, type ManifestsVars } from './vars.js';

/**
 * The nodePorts of the Services written in the inventory, as listeners on
 * every node of the cluster (kube-proxy holds a NodePort on every address of
 * every node): the plan check refuses another listener there, such as an
 * HAProxy front end on a node. Claimed once, from the first control plane.
 */
export function nodePortClaims(vars: ManifestsVars, host: Host, inventory: Inventory): Claim[] {
  if (vars.releases.length === 0 || !isFirstControlPlane(host, inventory)) return [];
  const cluster = clusterOf(host);
  const nodes = [...new Set([cluster.control_plane_group, cluster.worker_group].flatMap((g) => inventory.groups.get(g)?.hosts ?? []))];
  return nodePorts(vars.releases).flatMap(({ port, where }) =>
    nodes.map((name): Claim => ({ kind: 'listen', by: 'manifests', host: name, port, at: hostAddresses(inventory.hosts.get(name)!), what: `NodePort ${port} (${where})` })),
  );
}

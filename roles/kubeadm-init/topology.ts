import { ParseError } from '../../src/errors.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import { firstControlPlane as firstControlPlaneName } from '../../src/net/control-plane.js';

/** A node's part in bringing the cluster up. */
export type NodePart = 'first-control-plane' | 'control-plane' | 'worker';

/** The first host of `cluster.control_plane_group` (inventory order): where `kubeadm init` runs. */
export function firstControlPlane(host: Host, inventory: Inventory): Host {
  return inventory.hosts.get(firstControlPlaneName(host, inventory))!;
}

/**
 * The first control plane inits the cluster, the other hosts of
 * `cluster.control_plane_group` join as control planes, the hosts of
 * `cluster.worker_group` as workers. A host in neither group is an error.
 */
export function nodePart(host: Host, inventory: Inventory): NodePart {
  const cluster = clusterOf(host);
  if (host.groups.includes(cluster.control_plane_group)) {
    return firstControlPlane(host, inventory).name === host.name ? 'first-control-plane' : 'control-plane';
  }
  if (host.groups.includes(cluster.worker_group)) return 'worker';
  throw new ParseError(
    `host ${host.name}: kubeadm-init needs it in "${cluster.control_plane_group}" or "${cluster.worker_group}" ` +
      '(cluster.control_plane_group / cluster.worker_group) to know whether it is a control plane or a worker',
  );
}

import type { Host, Inventory } from '../inventory/types.js';
import { clusterOf } from './cluster.js';

/**
 * The host that runs cluster-wide kubectl work (CNI, load balancer,
 * add-ons): the first host of `cluster.control_plane_group`, in inventory
 * order — the one kubeadm init ran on, holding /etc/kubernetes/admin.conf.
 * Roles use `when: ({ host, inventory }) => isFirstControlPlane(host, inventory)`
 * so such work runs once per cluster, whatever the play's host pattern.
 */
export function firstControlPlane(host: Host, inventory: Inventory): string {
  const group = clusterOf(host).control_plane_group;
  const members = inventory.groups.get(group)?.hosts ?? [];
  if (members.length === 0) {
    throw new Error(
      `cluster.control_plane_group is "${group}" but the inventory has no host in such a group: ` +
        'kubectl work runs on its first host (set cluster.control_plane_group or add the group)',
    );
  }
  return members[0];
}

export function isFirstControlPlane(host: Host, inventory: Inventory): boolean {
  return firstControlPlane(host, inventory) === host.name;
}

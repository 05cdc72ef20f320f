import { z } from 'zod';
import { defineRole } from '../../src/engine/definitions.js';
import { ParseError } from '../../src/errors.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { aptKey, aptSourceFile } from './apt.js';
import { removeNode } from './remove-node.js';
import { firstControlPlane, nodePart } from './topology.js';
import { upgradeNode } from './upgrade-node.js';
import { kubeadmInitDefaults, kubeadmInitVars } from './vars.js';
import { resolvedKubernetesVersion } from './versions.js';

const timeout = z.string().regex(/^\d+(s|m|h)$/, 'expected a timeout such as 90s, 5m or 1h');

/** kubeadm-init's vars (read from `kubeadm_init:` too), and the timeouts of the lifecycle playbooks. */
const lifecycleVars = kubeadmInitVars.extend({
  drain_timeout: timeout.default('5m').describe('How long `kubectl drain` may take (pods evicted, PodDisruptionBudgets respected) before the node counts as failed.'),
  ready_timeout: timeout.default('5m').describe('How long an upgraded node may take to be Ready again.'),
  nodes: z.array(z.string().min(1)).default([]).describe('remove-node: the inventory hosts to take out of the cluster (nothing is removed unless named here).'),
});

/** kubeadm-init's defaults, then what the inventory sets under `kubeadm_init:` (the same cluster, the same vars). */
function defaults(host: Host, inventory: Inventory): Record<string, unknown> {
  const own = host.vars.kubeadm_init;
  return { ...kubeadmInitDefaults(host, inventory), ...(own && typeof own === 'object' ? (own as Record<string, unknown>) : {}) };
}

/**
 * A rolling `kubeadm upgrade` to `cluster.kubernetes_version` (playbooks/upgrade.ts runs it one node at a time,
 * control planes first, and stops at the first failure).
 */
export const kubeadmUpgrade = defineRole({
  name: 'kubeadm-upgrade',
  vars: lifecycleVars,
  defaults,
  tasks: ({ task }) => [
    task('Kubernetes apt signing key', ({ vars }) => aptKey(vars)),
    task('Kubernetes apt source for the target minor', ({ vars }) => aptSourceFile(vars)),
    task('drain, upgrade, restart, uncordon, wait Ready', ({ host, inventory, vars }) =>
      upgradeNode({
        first: firstControlPlane(host, inventory),
        part: nodePart(host, inventory),
        nodeName: vars.node_name,
        version: resolvedKubernetesVersion(host),
        packageVersion: vars.package_version,
        drainTimeout: vars.drain_timeout,
        readyTimeout: vars.ready_timeout,
      }),
    ),
  ],
});

/** Takes the hosts named in `kubeadm_remove.nodes` out of the cluster (playbooks/remove-node.ts). */
export const kubeadmRemove = defineRole({
  name: 'kubeadm-remove',
  vars: lifecycleVars,
  defaults,
  tasks: ({ task }) => [
    task(
      'drain, reset (etcd member first), delete the node',
      ({ host, inventory, vars }) => removeNode({ first: firstControlPlane(host, inventory), nodeName: vars.node_name, drainTimeout: vars.drain_timeout }),
      {
        when: ({ host, inventory, vars }) => {
          const unknown = vars.nodes.filter((n) => !inventory.hosts.has(n));
          if (unknown.length > 0) throw new ParseError(`kubeadm_remove.nodes: ${unknown.join(', ')} not in the inventory`);
          return vars.nodes.includes(host.name);
        },
      },
    ),
  ],
});

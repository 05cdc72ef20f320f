/**
 * A rolling `kubeadm upgrade` to the version the inventory pins now
 * (`cluster.kubernetes_version`, raised by at most one minor):
 *
 *   npx tsx playbooks/upgrade.ts -i inventory.yaml --check   # the whole sequence, node by node
 *   npx tsx playbooks/upgrade.ts -i inventory.yaml
 *
 * Control planes first (the first one `kubeadm upgrade plan` + `apply`, the
 * others `kubeadm upgrade node`), then the workers, one node at a time: each
 * drained (kubectl on the first control plane), kubeadm's package, the
 * upgrade, the kubelet and kubectl packages (held again), the kubelet
 * restarted, uncordoned and Ready before the next. The first failure stops
 * the run (max_fail_percentage 0): the failed node stays drained, the nodes
 * after it are untouched; a rerun skips the nodes already at the version.
 * See roles/kubeadm-init/README.md.
 */
import { isMain, play, runPlaybook } from '../src/index.js';
import { kubeadmUpgrade } from '../roles/kubeadm-init/lifecycle.js';

export const upgrade = [
  play({ name: 'upgrade the control planes', hosts: 'control_plane', roles: [kubeadmUpgrade], serial: 1, maxFailPercentage: 0 }),
  play({ name: 'upgrade the workers', hosts: 'workers', roles: [kubeadmUpgrade], serial: 1, maxFailPercentage: 0 }),
];

if (isMain(import.meta.url)) await runPlaybook(upgrade);

/**
 * Takes nodes out of a kubeadm cluster, one at a time:
 *
 *   npx tsx playbooks/remove-node.ts -i inventory.yaml -e '{kubeadm_remove: {nodes: [w2]}}' --check
 *
 * Only the hosts named in `kubeadm_remove.nodes` are touched: each is
 * drained (kubectl on the first control plane), its etcd member removed
 * when it is a control plane (`kubeadm reset phase remove-etcd-member`),
 * reset (`kubeadm reset -f`), and its Node object deleted. Then take the
 * host out of the inventory. The first control plane is refused.
 * See roles/kubeadm-init/README.md.
 */
import { isMain, play, runPlaybook } from '../src/index.js';
import { kubeadmRemove } from '../roles/kubeadm-init/lifecycle.js';

export const removeNodes = [play({ name: 'remove nodes', hosts: 'control_plane:workers', roles: [kubeadmRemove], serial: 1, maxFailPercentage: 0 })];

if (isMain(import.meta.url)) await runPlaybook(removeNodes);

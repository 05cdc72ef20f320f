import { pathExists } from '../../src/facts/builtin.js';
import type { Host } from '../../src/inventory/types.js';
import { ok, type Op } from '../../src/ops/op.js';
import { sh } from '../../src/shell/quote.js';
import { delegateTo, TwoHostSteps } from './delegate.js';
import { KUBELET_CONF } from './join.js';
import { KUBECTL, nodeLookup } from './node-state.js';

export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';

export interface RemoveNodeArgs {
  /** Where kubectl runs: the first control plane (never the node removed). */
  first: Host;
  nodeName: string;
  drainTimeout: string;
}

/**
 * Takes a node out of the cluster: drained (kubectl on the first control
 * plane), then on the node itself its etcd member removed when it runs one
 * (`kubeadm reset phase remove-etcd-member`, while the node can still reach
 * the other members) and `kubeadm reset -f`, then its Node object deleted.
 * Planned from the node's files (kubelet.conf, the etcd static pod) and the
 * API server's Node; a node that is gone from both is ok.
 */
export function removeNode(args: RemoveNodeArgs): Op {
  const joined = pathExists(KUBELET_CONF);
  const etcd = pathExists(ETCD_MANIFEST);
  return {
    label: `remove node ${args.nodeName} from the cluster`,
    facts: [joined, etcd],
    async plan(ctx) {
      if (ctx.host.name === args.first.name) {
        throw new Error(`${ctx.host.name} is the first control plane: kubectl and joins run there; make another control plane the first (inventory order) before removing it`);
      }
      const hasKubelet = await ctx.fact(joined);
      const hasEtcd = await ctx.fact(etcd);
      const first = await delegateTo(ctx, args.first);
      const node = await first.fact(nodeLookup(args.nodeName));
      if (node === 'no-cluster') throw new Error(`${args.first.name} has no admin.conf: it is not a control plane of an initialised cluster`);
      const registered = node !== 'absent';
      if (!registered && !hasKubelet && !hasEtcd) return ok(`${args.nodeName} is not in the cluster (no Node object, no ${KUBELET_CONF})`);

      const steps = new TwoHostSteps(args.first);
      if (registered) {
        steps.onFirst(
          `drain ${args.nodeName} (kubectl on ${args.first.name})`,
          sh`${KUBECTL} drain ${args.nodeName} --ignore-daemonsets --delete-emptydir-data --force --timeout=${args.drainTimeout}`,
        );
      }
      if (hasEtcd) steps.here(`remove ${args.nodeName}'s etcd member (kubeadm reset phase remove-etcd-member)`, sh`kubeadm reset phase remove-etcd-member`);
      if (hasKubelet || hasEtcd) steps.here('kubeadm reset -f (kubelet config, static pods, certificates, local etcd data)', sh`kubeadm reset -f`);
      if (registered) steps.onFirst(`delete node ${args.nodeName} (kubectl on ${args.first.name})`, sh`${KUBECTL} delete node ${args.nodeName}`);
      return steps.plan();
    },
  };
}

import { debPackages } from '../../src/facts/builtin.js';
import { defineFact } from '../../src/facts/fact.js';
import type { Host } from '../../src/inventory/types.js';
import { ok, type Op } from '../../src/ops/op.js';
import { heldPackages, pinnedPackages } from '../../src/ops/pinned-packages.js';
import { sh } from '../../src/shell/quote.js';
import { KUBE_PACKAGES } from './apt.js';
import { delegateTo, TwoHostSteps } from './delegate.js';
import { minorOf } from './kubeadm-config.js';
import { KUBECTL, nodeLookup } from './node-state.js';
import type { NodePart } from './topology.js';

export const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';

/** The version a control plane runs: the image tag of its kube-apiserver static pod ("v1.32.3"), undefined when there is none. */
export const controlPlaneVersion = defineFact('k8s-apiserver-version', () => ({
  command: sh`grep -o 'kube-apiserver:v[0-9][0-9A-Za-z.+-]*' ${APISERVER_MANIFEST} 2>/dev/null | head -n 1 | cut -d: -f2`,
  parse: ({ stdout }): string | undefined => stdout.trim().split('\n')[0] || undefined,
}));

export interface UpgradeNodeArgs {
  /** Where kubectl runs (drain, uncordon, wait): the first control plane. */
  first: Host;
  part: NodePart;
  nodeName: string;
  /** The Kubernetes version to reach, "1.32.3". */
  version: string;
  /** The Debian version of the three packages, "1.32.3-1.1". */
  packageVersion: string;
  drainTimeout: string;
  readyTimeout: string;
}

/** "1.32.3-1.1" → [1, 32, 3] */
const parts = (v: string) => v.split('-')[0]!.split('.').map(Number);
const older = (a: string, b: string) => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
};

/**
 * One node of a rolling `kubeadm upgrade`, planned from what the node has
 * (package versions and holds; a control plane's kube-apiserver image tag)
 * and what the API server says of it (cordoned?): drained from the first
 * control plane, kubeadm's package first, `kubeadm upgrade plan` + `apply`
 * on the first control plane or `kubeadm upgrade node` elsewhere, then the
 * kubelet and kubectl packages (held again), the kubelet restarted,
 * uncordoned and waited Ready. A node already at the version is ok; a node
 * half done (a failed run) continues where it stopped. A failure leaves the
 * node drained: it does not take workloads while half upgraded.
 */
export function upgradeNode(args: UpgradeNodeArgs): Op {
  const installedFact = debPackages([...KUBE_PACKAGES]);
  const heldFact = heldPackages();
  const cpVersion = controlPlaneVersion();
  const controlPlane = args.part !== 'worker';
  const target = `v${args.version}`;
  const kubectlOn = `kubectl on ${args.first.name}`;
  return {
    label: `kubeadm upgrade of ${args.nodeName} to ${target}`,
    facts: [installedFact, heldFact, ...(controlPlane ? [cpVersion] : [])],
    async plan(ctx) {
      const installed = await ctx.fact(installedFact);
      const held = await ctx.fact(heldFact);
      const running = controlPlane ? await ctx.fact(cpVersion) : undefined;
      const kubeadm = installed.get('kubeadm');
      if (!kubeadm) throw new Error(`${ctx.host.name}: kubeadm is not installed: this node is not part of a kubeadm cluster (run the site playbook first)`);
      if (older(args.packageVersion, kubeadm)) throw new Error(`${ctx.host.name}: kubeadm ${kubeadm} is newer than ${args.packageVersion}: a downgrade is not an upgrade`);
      const from = minorOf(kubeadm.split('-')[0]!);
      if (minorOf(args.version) > from + 1) {
        throw new Error(`${ctx.host.name}: kubeadm upgrades one minor at a time: 1.${from} → 1.${minorOf(args.version)} needs 1.${from + 1} first`);
      }
      const behind = KUBE_PACKAGES.filter((p) => installed.get(p) !== args.packageVersion || !held.has(p));
      const cpBehind = controlPlane && running !== target;
      const first = await delegateTo(ctx, args.first);
      const node = await first.fact(nodeLookup(args.nodeName));
      const cordoned = typeof node === 'object' && node.unschedulable;
      if (behind.length === 0 && !cpBehind && !cordoned) {
        return ok(`${args.nodeName} is at ${target} (${KUBE_PACKAGES.join(', ')} ${args.packageVersion} held${controlPlane ? `, control plane ${running}` : ''})`);
      }
      if (typeof node !== 'object') throw new Error(`node ${args.nodeName} is not in the cluster (${kubectlOn}: ${node}): nothing to drain`);

      const steps = new TwoHostSteps(args.first);
      const packages = (names: readonly string[]) => {
        const wanted = Object.fromEntries(names.map((n) => [n, args.packageVersion]));
        steps.add(`${names.map((n) => `${n} ${installed.get(n) ?? '(none)'} → ${args.packageVersion}`).join(', ')}, held`, async (c) => {
          const plan = await pinnedPackages({ packages: wanted, updateCache: true }).plan(c);
          if (plan.kind !== 'ok') await plan.apply(c);
        });
      };

      if (behind.length > 0 || cpBehind) {
        steps.onFirst(`drain ${args.nodeName} (${kubectlOn})`, sh`${KUBECTL} drain ${args.nodeName} --ignore-daemonsets --delete-emptydir-data --timeout=${args.drainTimeout}`);
        if (installed.get('kubeadm') !== args.packageVersion || !held.has('kubeadm')) packages(['kubeadm']);
        const kubeletBehind = installed.get('kubelet') !== args.packageVersion;
        if (args.part === 'first-control-plane' && cpBehind) {
          steps.here(`kubeadm upgrade plan ${target}`, sh`kubeadm upgrade plan ${target}`);
          steps.here(`kubeadm upgrade apply ${target} --yes (the cluster's control plane, etcd and add-ons)`, sh`kubeadm upgrade apply ${target} --yes`);
        } else if (cpBehind || (!controlPlane && kubeletBehind)) {
          steps.here(`kubeadm upgrade node (${controlPlane ? 'this control plane' : "this worker's kubelet configuration"})`, sh`kubeadm upgrade node`);
        }
        const rest = ['kubelet', 'kubectl'].filter((p) => installed.get(p) !== args.packageVersion || !held.has(p));
        if (rest.length > 0) packages(rest);
        steps.here('restart kubelet', sh`systemctl daemon-reload && systemctl restart kubelet`);
      }
      steps.onFirst(`uncordon ${args.nodeName} (${kubectlOn})`, sh`${KUBECTL} uncordon ${args.nodeName}`);
      steps.onFirst(`wait until ${args.nodeName} is Ready (${kubectlOn}, at most ${args.readyTimeout})`, sh`${KUBECTL} wait --for=condition=Ready node/${args.nodeName} --timeout=${args.readyTimeout}`);
      return steps.plan();
    },
  };
}

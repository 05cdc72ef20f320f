import { defineFact } from '../../src/facts/fact.js';
import type { Host } from '../../src/inventory/types.js';
import { change, ok, type Change, type Op } from '../../src/ops/op.js';
import { joinCommands, sh, type Command } from '../../src/shell/quote.js';
import { delegateTo } from './delegate.js';
import { ADMIN_CONF } from './join.js';
import type { NodeTaint } from './kubeadm-config.js';

/** `kubectl` with the cluster's admin.conf, as run on a control plane. */
export const KUBECTL: Command = sh`kubectl --kubeconfig ${ADMIN_CONF}`;

/** What the API server says about a node (the parts the roles and playbooks act on). */
export interface NodeState {
  labels: Record<string, string>;
  taints: NodeTaint[];
  unschedulable: boolean;
  ready: boolean;
}

/** "no-cluster": the host has no admin.conf (not initialised); "absent": the node is not registered. */
export type NodeLookup = NodeState | 'no-cluster' | 'absent';

const NO_CLUSTER = '__labwright_no_admin_conf';

export function parseNode(json: string): NodeState {
  const node = JSON.parse(json) as {
    metadata?: { labels?: Record<string, string> };
    spec?: { taints?: NodeTaint[]; unschedulable?: boolean };
    status?: { conditions?: { type: string; status: string }[] };
  };
  return {
    labels: node.metadata?.labels ?? {},
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })),
    unschedulable: node.spec?.unschedulable === true,
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/** A node as the API server has it, read on a control plane (a fact: read-only). */
export const nodeLookup = defineFact('k8s-node', (name: string) => ({
  command: joinCommands([sh`test -e ${ADMIN_CONF} || { echo ${NO_CLUSTER}; exit 0; }`, sh`${KUBECTL} get node ${name} -o json --ignore-not-found`], '\n'),
  parse: ({ stdout, code }): NodeLookup => {
    if (stdout.includes(NO_CLUSTER)) return 'no-cluster';
    if (code !== 0) throw new Error(`kubectl get node ${name} failed (exit ${code})`);
    return stdout.trim() === '' ? 'absent' : parseNode(stdout);
  },
}));

const taintText = (t: NodeTaint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
const sameTaint = (a: NodeTaint, b: NodeTaint) => a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '');

export interface NodeMetadataArgs {
  /** The control plane kubectl runs on. */
  first: Host;
  nodeName: string;
  labels: Readonly<Record<string, string>>;
  taints: readonly NodeTaint[];
  /** Taints that must not be on the node (the control-plane taint of an untainted control plane). */
  absentTaints: readonly NodeTaint[];
}

/**
 * The inventory's labels and taints on a registered node, by `kubectl label`
 * / `kubectl taint` on the first control plane (`ctx.delegate`). A node that
 * is not registered yet (or a cluster not initialised yet) is left to its
 * nodeRegistration: it registers with them.
 */
export function nodeMetadata(args: NodeMetadataArgs): Op {
  const lookup = nodeLookup(args.nodeName);
  return {
    label: `labels and taints of node ${args.nodeName}`,
    facts: [],
    async plan(ctx) {
      const first = await delegateTo(ctx, args.first);
      const node = await first.fact(lookup);
      if (node === 'no-cluster' || node === 'absent') {
        const why = node === 'no-cluster' ? `${args.first.name} has no ${ADMIN_CONF} yet` : `node ${args.nodeName} is not registered yet`;
        return ok(`${why}: it registers with the labels and taints of its nodeRegistration`);
      }
      const labels = Object.entries(args.labels).filter(([k, v]) => node.labels[k] !== v);
      const add = args.taints.filter((t) => !node.taints.some((n) => sameTaint(n, t)));
      // a taint with the same key and effect but another value is replaced by --overwrite
      const remove = args.absentTaints.filter((t) => node.taints.some((n) => n.key === t.key && n.effect === t.effect));
      if (labels.length + add.length + remove.length === 0) return ok(`node ${args.nodeName} has its labels and taints`);
      const changes: Change[] = [];
      const steps: Command[] = [];
      if (labels.length > 0) {
        changes.push({ summary: `label node ${args.nodeName} ${labels.map(([k, v]) => `${k}=${v}`).join(' ')} (kubectl on ${args.first.name})` });
        steps.push(sh`${KUBECTL} label node ${args.nodeName} ${labels.map(([k, v]) => `${k}=${v}`)} --overwrite`);
      }
      if (add.length > 0) {
        changes.push({ summary: `taint node ${args.nodeName} ${add.map(taintText).join(' ')} (kubectl on ${args.first.name})` });
        steps.push(sh`${KUBECTL} taint node ${args.nodeName} ${add.map(taintText)} --overwrite`);
      }
      if (remove.length > 0) {
        changes.push({ summary: `remove taint ${remove.map((t) => `${t.key}:${t.effect}`).join(' ')} from node ${args.nodeName} (kubectl on ${args.first.name})` });
        steps.push(sh`${KUBECTL} taint node ${args.nodeName} ${remove.map((t) => `${t.key}:${t.effect}-`)}`);
      }
      return change(changes, async (c) => {
        const cp = await delegateTo(c, args.first);
        for (const s of steps) await cp.run(s);
      });
    },
  };
}

import { describe, expect, it } from 'vitest';
import { debPackages, pathExists } from '../../src/facts/builtin.js';
import type { Host } from '../../src/inventory/types.js';
import type { OpContext } from '../../src/ops/op.js';
import { heldPackages } from '../../src/ops/pinned-packages.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { KUBE_PACKAGES } from './apt.js';
import { KUBELET_CONF } from './join.js';
import { nodeLookup, type NodeLookup } from './node-state.js';
import { ETCD_MANIFEST, removeNode } from './remove-node.js';
import { controlPlaneVersion, upgradeNode } from './upgrade-node.js';

const cp1: Host = { name: 'cp1', vars: {}, groups: ['all', 'control_plane'], connection: { kind: 'ssh', address: '10.0.0.11', port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } };
const readyNode = (unschedulable = false): NodeLookup => ({ labels: {}, taints: [], unschedulable, ready: true });

class Node extends FixtureContext {
  constructor(
    facts: ConstructorParameters<typeof FixtureContext>[0],
    readonly first: OpContext,
  ) {
    super(facts);
  }
  async delegate(): Promise<OpContext> {
    return this.first;
  }
}

function nodeAt(versions: Record<string, string>, opts: { held?: string[]; apiserver?: string; lookup?: NodeLookup } = {}) {
  const first = new FixtureContext([[nodeLookup('w1'), opts.lookup ?? readyNode()]]);
  const node = new Node(
    [
      [debPackages([...KUBE_PACKAGES]), new Map(Object.entries(versions))],
      [heldPackages(), new Set(opts.held ?? KUBE_PACKAGES)],
      [controlPlaneVersion(), opts.apiserver],
    ],
    first,
  );
  return { node, first };
}
const all = (v: string) => ({ kubeadm: v, kubelet: v, kubectl: v });
const op = (part: 'first-control-plane' | 'control-plane' | 'worker', version = '1.32.3') =>
  upgradeNode({ first: cp1, part, nodeName: 'w1', version, packageVersion: `${version}-1.1`, drainTimeout: '5m', readyTimeout: '5m' });
const summaries = async (o: ReturnType<typeof op>, ctx: OpContext) => {
  const plan = await o.plan(ctx);
  return plan.kind === 'ok' ? plan.reason : plan.changes.map((c) => c.summary);
};

describe('upgradeNode: planned from the node and the API server', () => {
  it('a node at the version, held and schedulable, is ok', async () => {
    const { node } = nodeAt(all('1.32.3-1.1'));
    expect(await summaries(op('worker'), node)).toBe('w1 is at v1.32.3 (kubeadm, kubelet, kubectl 1.32.3-1.1 held)');
    const cp = nodeAt(all('1.32.3-1.1'), { apiserver: 'v1.32.3' });
    expect(await summaries(op('control-plane'), cp.node)).toMatch(/control plane v1\.32\.3\)$/);
  });

  it('a control plane whose packages are new but whose static pods are not still runs kubeadm upgrade node', async () => {
    const { node } = nodeAt(all('1.32.3-1.1'), { apiserver: 'v1.32.2' });
    expect(await summaries(op('control-plane'), node)).toEqual([
      'drain w1 (kubectl on cp1)',
      'kubeadm upgrade node (this control plane)',
      'restart kubelet',
      'uncordon w1 (kubectl on cp1)',
      'wait until w1 is Ready (kubectl on cp1, at most 5m)',
    ]);
  });

  it('a half-upgraded worker (kubeadm done, run failed after) continues: no second kubeadm install', async () => {
    const { node, first } = nodeAt({ kubeadm: '1.32.3-1.1', kubelet: '1.32.2-1.1', kubectl: '1.32.2-1.1' }, { lookup: readyNode(true) });
    expect(await summaries(op('worker'), node)).toEqual([
      'drain w1 (kubectl on cp1)',
      "kubeadm upgrade node (this worker's kubelet configuration)",
      'kubelet 1.32.2-1.1 → 1.32.3-1.1, kubectl 1.32.2-1.1 → 1.32.3-1.1, held',
      'restart kubelet',
      'uncordon w1 (kubectl on cp1)',
      'wait until w1 is Ready (kubectl on cp1, at most 5m)',
    ]);
    expect(first.shown).toEqual([]); // planning only reads
  });

  it('a node left cordoned after its upgrade is uncordoned and waited for, nothing else', async () => {
    const { node, first } = nodeAt(all('1.32.3-1.1'), { lookup: readyNode(true) });
    const plan = await node.planAndApply(op('worker'));
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual(['uncordon w1 (kubectl on cp1)', 'wait until w1 is Ready (kubectl on cp1, at most 5m)']);
    expect(first.shown).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf uncordon w1',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf wait --for=condition=Ready node/w1 --timeout=5m',
    ]);
    expect(node.shown).toEqual([]);
  });

  it('refuses two minors at once, a downgrade, and a node without kubeadm', async () => {
    await expect(op('worker', '1.34.1').plan(nodeAt(all('1.32.3-1.1')).node)).rejects.toThrow(/one minor at a time: 1.32 → 1.34 needs 1.33 first/);
    await expect(op('worker', '1.32.1').plan(nodeAt(all('1.32.3-1.1')).node)).rejects.toThrow(/kubeadm 1.32.3-1.1 is newer than 1.32.1-1.1/);
    await expect(op('worker').plan(nodeAt({}).node)).rejects.toThrow(/kubeadm is not installed/);
  });

  it('the first control plane: upgrade plan then apply, after the kubeadm package', async () => {
    const { node } = nodeAt(all('1.32.2-1.1'), { apiserver: 'v1.32.2' });
    const s = (await summaries(op('first-control-plane'), node)) as string[];
    expect(s.indexOf('kubeadm 1.32.2-1.1 → 1.32.3-1.1, held')).toBeLessThan(s.indexOf('kubeadm upgrade plan v1.32.3'));
    expect(s.indexOf('kubeadm upgrade plan v1.32.3')).toBeLessThan(s.findIndex((x) => x.startsWith('kubeadm upgrade apply v1.32.3 --yes')));
    expect(s.findIndex((x) => x.startsWith('kubeadm upgrade apply'))).toBeLessThan(s.indexOf('kubelet 1.32.2-1.1 → 1.32.3-1.1, kubectl 1.32.2-1.1 → 1.32.3-1.1, held'));
  });
});

describe('removeNode', () => {
  const removal = (facts: { kubelet: boolean; etcd: boolean; lookup: NodeLookup }, host = 'w1') => {
    const first = new FixtureContext([[nodeLookup('w1'), facts.lookup]]);
    const node = new Node([[pathExists(KUBELET_CONF), facts.kubelet], [pathExists(ETCD_MANIFEST), facts.etcd]], first);
    Object.defineProperty(node, 'host', { value: { ...node.host, name: host } });
    return { node, first, op: removeNode({ first: cp1, nodeName: 'w1', drainTimeout: '5m' }) };
  };

  it('a control plane: drain, its etcd member, reset, delete — in that order', async () => {
    const { node, first, op: o } = removal({ kubelet: true, etcd: true, lookup: readyNode() });
    await node.planAndApply(o);
    expect(node.shown).toEqual(['kubeadm reset phase remove-etcd-member', 'kubeadm reset -f']);
    expect(first.shown).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf drain w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=5m',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf delete node w1',
    ]);
  });

  it('gone from the node and the API server: ok; the first control plane: refused', async () => {
    expect(await removal({ kubelet: false, etcd: false, lookup: 'absent' }).op.plan(removal({ kubelet: false, etcd: false, lookup: 'absent' }).node)).toMatchObject({ kind: 'ok' });
    const cp = removal({ kubelet: true, etcd: true, lookup: readyNode() }, 'cp1');
    await expect(cp.op.plan(cp.node)).rejects.toThrow(/cp1 is the first control plane/);
  });
});

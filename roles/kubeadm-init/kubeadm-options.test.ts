import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { site } from '../../playbooks/site.js';
import { main } from '../../src/cli/main.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import type { OpContext } from '../../src/ops/op.js';
import { captureIo } from '../../test/support/io.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { clusterDns, kubeadmClaims } from './claims.js';
import { renderRuntimesDropin } from './containerd.js';
import { kubeadmInit, nodeConfig } from './index.js';
import { checkDocument } from './kubeadm-api.js';
import { CONTROL_PLANE_TAINT, kubeletMaySet, renderInitConfig, renderJoinConfig, type JoinSecrets } from './kubeadm-config.js';
import { nodeLookup, nodeMetadata, type NodeLookup } from './node-state.js';
import type { KubeadmInitVars } from './vars.js';
import { STABLE_RELEASES } from './versions.js';

/** Config text only: these addresses never receive a packet. */
function inventoryFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-kubeadm-opts-')), 'inventory.yaml');
  writeFileSync(file, yaml);
  return file;
}
const inventory = (yaml: string): Promise<Inventory> => loadInventory([inventoryFile(yaml)]);

/** Seed 001's cluster: the GPU worker velaryon with a label, a taint and the nvidia runtime; its own DNS domain. */
const GOLDENTOOTH = (version = 'stable-1.32', extra = '') => `all:
  vars:
    cluster: { name: goldentooth, kubernetes_version: ${version}, pod_subnet: 192.168.0.0/16, service_subnet: 172.16.0.0/20, control_plane_endpoint: 10.4.0.10:6443 }
    kubeadm_init: { dns_domain: goldentooth.net, cert_sans: [10.4.0.10, k8s.goldentooth.net]${extra} }
  children:
    control_plane:
      hosts:
        bettley: { ansible_host: 10.4.0.11 }
        cargyll: { ansible_host: 10.4.0.12 }
    workers:
      hosts:
        erenford: { ansible_host: 10.4.0.14 }
        velaryon:
          ansible_host: 10.4.0.30
          kubeadm_init:
            node_labels: { gpu: "true", node-role.kubernetes.io/gpu: "" }
            node_taints: [{ key: nvidia.com/gpu, value: present, effect: NoSchedule }]
            containerd_runtimes: { nvidia: { binary_name: /usr/bin/nvidia-container-runtime } }
`;

/** Seed 000 on one node: the control plane runs workloads. */
const SINGLE_NODE = `all:
  vars:
    cluster: { name: debvisor, kubernetes_version: 1.32.2, service_subnet: 10.96.0.0/12 }
  children:
    control_plane:
      hosts:
        node1: { ansible_host: 10.10.20.10, kubeadm_init: { untaint_control_plane: true } }
    workers: { hosts: {} }
`;

function ctxOf(inv: Inventory, name: string) {
  const host = inv.hosts.get(name)!;
  return { host, inventory: inv, vars: resolveRoleVars(kubeadmInit, host, inv) as KubeadmInitVars };
}
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
const SECRETS: JoinSecrets = { endpoint: '10.4.0.10:6443', token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'a'.repeat(64)}`, certificateKey: 'b'.repeat(64) };

describe('kubeadm options in the rendered configuration (each document checked against the upstream type)', () => {
  it('dns_domain: networking.dnsDomain and the kubelet clusterDomain; cert_sans: apiServer.certSANs', async () => {
    const inv = await inventory(GOLDENTOOTH());
    const [, cluster, kubelet] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'bettley'))));
    expect(cluster).toMatchObject({ networking: { dnsDomain: 'goldentooth.net' }, apiServer: { certSANs: ['10.4.0.10', 'k8s.goldentooth.net'] } });
    expect(kubelet).toMatchObject({ clusterDomain: 'goldentooth.net' });
  });

  it('a worker joins with its taints and the labels a kubelet may set on itself', async () => {
    const inv = await inventory(GOLDENTOOTH());
    const [join] = docs(renderJoinConfig(nodeConfig(ctxOf(inv, 'velaryon')), SECRETS, false));
    expect(join!.nodeRegistration).toEqual({
      name: 'velaryon',
      criSocket: 'unix:///run/containerd/containerd.sock',
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
      // node-role.kubernetes.io/gpu is refused by a kubelet (NodeRestriction): only kubectl label sets it
      kubeletExtraArgs: [
        { name: 'node-ip', value: '10.4.0.30' },
        { name: 'node-labels', value: 'gpu=true' },
      ],
    });
    const [plain] = docs(renderJoinConfig(nodeConfig(ctxOf(inv, 'erenford')), SECRETS, false));
    expect(plain!.nodeRegistration).not.toHaveProperty('taints'); // nil: kubeadm's default, no taint on a worker
  });

  it('which labels a kubelet may set on itself (k8s.io/kubelet well-known labels)', () => {
    expect(['gpu', 'example.com/rack', 'node.kubernetes.io/instance-type', 'kubelet.kubernetes.io/x', 'topology.kubernetes.io/zone'].map(kubeletMaySet)).toEqual([true, true, true, true, true]);
    expect(['node-role.kubernetes.io/gpu', 'kubernetes.io/role', 'foo.k8s.io/bar'].map(kubeletMaySet)).toEqual([false, false, false]);
  });

  it('control planes: the control-plane taint stays unless untainted; extra taints come in addition', async () => {
    const single = await inventory(SINGLE_NODE);
    const [init] = docs(renderInitConfig(nodeConfig(ctxOf(single, 'node1'))));
    expect((init!.nodeRegistration as { taints: unknown }).taints).toEqual([]); // an empty list: no taint at all (nil would be kubeadm's default)
    const text = renderInitConfig(nodeConfig(ctxOf(single, 'node1')));
    expect(text).toContain('taints: []');

    const inv = await inventory(GOLDENTOOTH());
    const [defaultInit] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'bettley'))));
    expect(defaultInit!.nodeRegistration).not.toHaveProperty('taints');
    const extra = { ...nodeConfig(ctxOf(inv, 'cargyll')), taints: [{ key: 'dedicated', value: 'infra', effect: 'NoExecute' as const }] };
    const [cpJoin] = docs(renderJoinConfig(extra, SECRETS, true));
    expect((cpJoin!.nodeRegistration as { taints: unknown }).taints).toEqual([CONTROL_PLANE_TAINT, { key: 'dedicated', value: 'infra', effect: 'NoExecute' }]);
  });

  it('cni cilium: the InitConfiguration skips addon/kube-proxy; calico does not', async () => {
    const calico = await inventory(GOLDENTOOTH());
    expect(docs(renderInitConfig(nodeConfig(ctxOf(calico, 'bettley'))))[0]).not.toHaveProperty('skipPhases');
    const cilium = await inventory(GOLDENTOOTH().replace('control_plane_endpoint: 10.4.0.10:6443', 'control_plane_endpoint: 10.4.0.10:6443, cni: cilium'));
    expect(docs(renderInitConfig(nodeConfig(ctxOf(cilium, 'bettley'))))[0]!.skipPhases).toEqual(['addon/kube-proxy']);
  });

  it('the models reject what upstream rejects in the new fields', () => {
    const init = { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration' };
    expect(() => checkDocument({ ...init, nodeRegistration: { taints: [{ key: 'a', effect: 'NoSchedul' }] } })).toThrow(/nodeRegistration.taints.0.effect/);
    expect(() => checkDocument({ ...init, nodeRegistration: { labels: { a: 'b' } } })).toThrow(/nodeRegistration: Unrecognized key.*"labels"/); // no such field upstream
    expect(() => checkDocument({ ...init, skipPhases: 'addon/kube-proxy' })).toThrow(/skipPhases/);
    expect(() => checkDocument({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ClusterConfiguration', apiServer: { certSANs: '10.0.0.1' } })).toThrow(/apiServer.certSANs/);
  });
});

describe('kubernetes_version labels', () => {
  it('stable-1.32 resolves from the pinned table at plan time: config, package version, apt repository', async () => {
    const inv = await inventory(GOLDENTOOTH('stable-1.32'));
    const { vars } = ctxOf(inv, 'bettley');
    expect(vars.package_version).toBe(`${STABLE_RELEASES[32]}-1.1`);
    expect(vars.apt_repository).toBe('https://pkgs.k8s.io/core:/stable:/v1.32/deb/');
    expect(docs(renderInitConfig(nodeConfig(ctxOf(inv, 'bettley'))))[1]!.kubernetesVersion).toBe(`v${STABLE_RELEASES[32]}`);
  });

  it('a minor the table does not know is refused with what it knows, naming host and key', async () => {
    const inv = await inventory(GOLDENTOOTH('stable-1.40'));
    expect(() => ctxOf(inv, 'bettley')).toThrow(/host bettley: cluster.kubernetes_version: stable-1.40 is not in kubeadm-init's pinned table \(stable-1.29, .*stable-1.33, as of 2025-06-17\); pin a version such as 1.40.0/);
  });
});

describe('vars refused before any host is touched', () => {
  it.each([
    ['a label key with two slashes', ', node_labels: { a/b/c: x }', /kubeadm_init.node_labels.*expected a Kubernetes label key/],
    ['a label value with a space', ', node_labels: { a: "x y" }', /kubeadm_init.node_labels.a: expected a label value/],
    ['a taint effect', ', node_taints: [{ key: a, effect: NoSchedul }]', /kubeadm_init.node_taints.0.effect/],
    ['a node name that is not a DNS name', ', node_name: Bad_Name', /kubeadm_init.node_name: expected a lower-case DNS name/],
    ['a runtime named runc', ', containerd_runtimes: { runc: {} }', /kubeadm_init.containerd_runtimes.runc: expected a runtime name such as nvidia.*not runc/],
  ])('%s', async (_what, extra, message) => {
    const inv = await inventory(GOLDENTOOTH('1.32.3', extra));
    expect(() => ctxOf(inv, 'bettley')).toThrow(message);
  });

  it('kubelet_config.clusterDomain that contradicts dns_domain', async () => {
    const inv = await inventory(GOLDENTOOTH('1.32.3', ', kubelet_config: { clusterDomain: cluster.local }'));
    expect(() => nodeConfig(ctxOf(inv, 'bettley'))).toThrow(/kubeadm_init.kubelet_config.clusterDomain: cluster.local differs from kubeadm_init.dns_domain goldentooth.net/);
  });
});

describe('containerd runtimes drop-in', () => {
  const nvidia = { nvidia: { runtime_type: 'io.containerd.runc.v2', binary_name: '/usr/bin/nvidia-container-runtime', systemd_cgroup: true } };
  it('containerd 1.x: config version 2 tables under io.containerd.grpc.v1.cri', () => {
    const { content, assumption } = renderRuntimesDropin('1.6.20~ds1', nvidia);
    expect(assumption).toBeUndefined();
    expect(content).toContain('version = 2\n');
    expect(content).toContain(
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n  runtime_type = "io.containerd.runc.v2"\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]\n  BinaryName = "/usr/bin/nvidia-container-runtime"\n  SystemdCgroup = true\n',
    );
  });
  it('containerd 2.x: config version 3 under io.containerd.cri.v1.runtime; before installation 1.x is assumed and said', () => {
    expect(renderRuntimesDropin('2.0.4', nvidia).content).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia.options]\n  BinaryName");
    expect(renderRuntimesDropin(undefined, nvidia).assumption).toMatch(/not installed yet/);
  });
});

describe('clusterDNS inside the service subnet (plan check)', () => {
  it("kubeadm's default is the 10th address of the service subnet", async () => {
    const inv = await inventory(GOLDENTOOTH());
    const { vars, host } = ctxOf(inv, 'bettley');
    expect(clusterDns(vars, clusterOf(host))).toEqual(['172.16.0.10']);
    expect(kubeadmClaims(vars, clusterOf(host))).toEqual([
      { kind: 'within', by: 'kubeadm-init', cidr: '172.16.0.10/32', what: 'kubelet clusterDNS', outer: '172.16.0.0/20', outerWhat: 'cluster.service_subnet' },
    ]);
  });

  it('site --plan refuses a clusterDNS outside the service subnet (exit 4) and passes one inside', async () => {
    const plan = async (yaml: string) => {
      const io = captureIo();
      const code = await main(site, ['-i', inventoryFile(yaml), '--plan'], io);
      return { code, out: io.stdout + io.stderr };
    };
    const outside = await plan(GOLDENTOOTH('1.32.3', ', kubelet_config: { clusterDNS: [10.96.0.10] }'));
    expect(outside.out).toContain('kubelet clusterDNS 10.96.0.10/32 (kubeadm-init) is not inside cluster.service_subnet 172.16.0.0/20');
    expect(outside.code).toBe(4);
    const inside = await plan(GOLDENTOOTH('1.32.3', ', kubelet_config: { clusterDNS: [172.16.0.10] }'));
    expect(inside.out).toContain('address plan: no conflicts');
    expect(inside.code).toBe(0);
  });
});

describe('labels and taints reconciled on a registered node (kubectl on the first control plane)', () => {
  const cp1: Host = { name: 'cp1', vars: {}, groups: ['all', 'control_plane'], connection: { kind: 'ssh', address: '10.0.0.11', port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } };
  class Node extends FixtureContext {
    constructor(readonly first: OpContext) {
      super();
    }
    async delegate(): Promise<OpContext> {
      return this.first;
    }
  }
  const op = (absentTaints = [CONTROL_PLANE_TAINT]) =>
    nodeMetadata({ first: cp1, nodeName: 'node1', labels: { gpu: 'true', 'node-role.kubernetes.io/gpu': '' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], absentTaints });
  const registered = (n: NodeLookup) => new FixtureContext([[nodeLookup('node1'), n]]);

  it('adds missing labels and taints, removes the control-plane taint, with one kubectl call each', async () => {
    const first = registered({ labels: { gpu: 'false' }, taints: [CONTROL_PLANE_TAINT], unschedulable: false, ready: true });
    const plan = await new Node(first).planAndApply(op());
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual([
      'label node node1 gpu=true node-role.kubernetes.io/gpu= (kubectl on cp1)',
      'taint node node1 nvidia.com/gpu=present:NoSchedule (kubectl on cp1)',
      'remove taint node-role.kubernetes.io/control-plane:NoSchedule from node node1 (kubectl on cp1)',
    ]);
    expect(first.shown).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf label node node1 gpu=true node-role.kubernetes.io/gpu= --overwrite',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf taint node node1 nvidia.com/gpu=present:NoSchedule --overwrite',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf taint node node1 node-role.kubernetes.io/control-plane:NoSchedule-',
    ]);
  });

  it('ok when the node has them; a node not registered (or no cluster yet) is left to its nodeRegistration', async () => {
    const done = registered({ labels: { gpu: 'true', 'node-role.kubernetes.io/gpu': '' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], unschedulable: false, ready: true });
    expect(await new Node(done).planAndApply(op())).toEqual({ kind: 'ok', reason: 'node node1 has its labels and taints' });
    expect(done.shown).toEqual([]);
    expect(await new Node(registered('absent')).planAndApply(op())).toMatchObject({ kind: 'ok', reason: expect.stringContaining('node node1 is not registered yet') });
    expect(await new Node(registered('no-cluster')).planAndApply(op())).toMatchObject({ kind: 'ok', reason: expect.stringContaining('cp1 has no /etc/kubernetes/admin.conf yet') });
  });
});

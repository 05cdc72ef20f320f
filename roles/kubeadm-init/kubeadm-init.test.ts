import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FixtureContext } from '../../test/support/fixture-context.js';
import type { ExecOptions, ExecResult } from '../../src/connection/types.js';
import { play } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { resolveAllVars } from '../../src/engine/runner.js';
import { pathExists } from '../../src/facts/builtin.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import type { OpContext } from '../../src/ops/op.js';
import type { Command } from '../../src/shell/quote.js';
import { renderContainerdConfig } from './containerd.js';
import { aptSource, kubeadmInit, nodeConfig } from './index.js';
import { ADMIN_CONF, KUBELET_CONF, kubeadmJoin, parseCertificateKey, parseJoinCommand } from './join.js';
import { checkDocument } from './kubeadm-api.js';
import { renderInitConfig, renderJoinConfig, type JoinSecrets } from './kubeadm-config.js';
import type { KubeadmInitVars } from './vars.js';

/** Config text only: the addresses below (seeds 001 and 003) never receive a packet. */
async function inventory(yaml: string): Promise<Inventory> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-kubeadm-'));
  writeFileSync(join(dir, 'inventory.yaml'), yaml);
  return loadInventory([join(dir, 'inventory.yaml')]);
}

/** Seed 003: keepalived + haproxy on two gateways, three masters and two workers on vmnet2. */
const SEED_003 = (version: string) => `all:
  vars:
    cluster: { kubernetes_version: ${version}, pod_subnet: 10.244.0.0/16, service_subnet: 10.96.0.0/12, cni: cilium }
  children:
    gateways:
      vars:
        keepalived: { vip: 192.168.68.200/24 }
        haproxy: { api: { group: control_plane } }
      hosts:
        gateway1: { ansible_host: 192.168.68.56 }
        gateway2: { ansible_host: 192.168.68.57 }
    control_plane:
      hosts:
        master1: { ansible_host: 10.10.0.131 }
        master2: { ansible_host: 10.10.0.132 }
        master3: { ansible_host: 10.10.0.133 }
    workers:
      hosts:
        worker1: { ansible_host: 10.10.0.141 }
        worker2: { ansible_host: 10.10.0.142 }
`;

/** Seed 001: no VIP, haproxy on allyrion; service network 172.16.0.0/20. */
const SEED_001 = `all:
  vars:
    cluster: { kubernetes_version: 1.32.2, service_subnet: 172.16.0.0/20, name: goldentooth }
  children:
    lb:
      hosts:
        allyrion: { ansible_host: 10.4.0.10, haproxy: {} }
    control_plane:
      hosts:
        bettley: { ansible_host: 10.4.0.11 }
        cargyll: { ansible_host: 10.4.0.12 }
    workers:
      hosts:
        velaryon: { ansible_host: 10.4.0.30 }
`;

function ctxOf(inv: Inventory, name: string, params: Record<string, unknown> = {}) {
  const host = inv.hosts.get(name)!;
  const vars = resolveRoleVars(kubeadmInit.with(params), host, inv) as KubeadmInitVars;
  return { host, inventory: inv, vars };
}

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);

describe('kubeadm configuration rendering', () => {
  it('1.32: kubeadm.k8s.io/v1beta4, kubeletExtraArgs as a list of {name, value}', async () => {
    const inv = await inventory(SEED_003('1.32.2'));
    const [init, cluster, kubelet] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'master1'))));
    expect(init).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'InitConfiguration',
      localAPIEndpoint: { advertiseAddress: '10.10.0.131', bindPort: 6443 },
      nodeRegistration: { name: 'master1', criSocket: 'unix:///run/containerd/containerd.sock', kubeletExtraArgs: [{ name: 'node-ip', value: '10.10.0.131' }] },
      skipPhases: ['addon/kube-proxy'], // seed 003 runs Cilium as kube-proxy replacement
    });
    expect(cluster).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      clusterName: 'kubernetes',
      kubernetesVersion: 'v1.32.2',
      controlPlaneEndpoint: '192.168.68.200:6443',
      networking: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' },
    });
    expect(kubelet).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', clusterDomain: 'cluster.local', cgroupDriver: 'systemd' });
  });

  it('1.30: kubeadm.k8s.io/v1beta3, kubeletExtraArgs as a map', async () => {
    const inv = await inventory(SEED_003('1.30.4'));
    const [init, cluster] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'master1'))));
    expect(init).toMatchObject({ apiVersion: 'kubeadm.k8s.io/v1beta3', nodeRegistration: { kubeletExtraArgs: { 'node-ip': '10.10.0.131' } } });
    expect(cluster).toMatchObject({ apiVersion: 'kubeadm.k8s.io/v1beta3', kubernetesVersion: 'v1.30.4' });
  });

  it('JoinConfiguration: workers without, control planes with controlPlane and the certificate key', async () => {
    const inv = await inventory(SEED_003('1.32.2'));
    const secrets: JoinSecrets = { endpoint: '192.168.68.200:6443', token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'a'.repeat(64)}`, certificateKey: 'b'.repeat(64) };
    const [worker] = docs(renderJoinConfig(nodeConfig(ctxOf(inv, 'worker2')), { ...secrets, certificateKey: undefined }, false));
    expect(worker).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: '192.168.68.200:6443', token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`] } },
      nodeRegistration: { name: 'worker2', criSocket: 'unix:///run/containerd/containerd.sock', kubeletExtraArgs: [{ name: 'node-ip', value: '10.10.0.142' }] },
    });
    const [cp] = docs(renderJoinConfig(nodeConfig(ctxOf(inv, 'master3')), secrets, true));
    expect(cp!.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '10.10.0.133', bindPort: 6443 }, certificateKey: 'b'.repeat(64) });
    expect(() => renderJoinConfig(nodeConfig(ctxOf(inv, 'master3')), { ...secrets, certificateKey: undefined }, true)).toThrow(/certificate key/);
  });

  it('seed 001: the haproxy host as endpoint, its service network, its cluster name, extra kubelet fields', async () => {
    const inv = await inventory(SEED_001);
    const [, cluster, kubelet] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'bettley', { kubelet_config: { maxPods: 64, serializeImagePulls: false } }))));
    expect(cluster).toMatchObject({ clusterName: 'goldentooth', controlPlaneEndpoint: '10.4.0.10:6443', networking: { serviceSubnet: '172.16.0.0/20', podSubnet: '192.168.0.0/16' } });
    expect(kubelet).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', maxPods: 64, serializeImagePulls: false, clusterDomain: 'cluster.local', cgroupDriver: 'systemd' });
  });

  it('no VIP and no load balancer: the first control plane is the endpoint', async () => {
    const inv = await inventory(`all:
  children:
    control_plane: { hosts: { cp1: { ansible_host: 10.0.0.11 }, cp2: { ansible_host: 10.0.0.12 } } }
    workers: { hosts: { w1: { ansible_host: 10.0.0.21 } } }
`);
    expect(nodeConfig(ctxOf(inv, 'w1')).endpoint).toBe('10.0.0.11:6443');
    const [, cluster] = docs(renderInitConfig(nodeConfig(ctxOf(inv, 'cp1'))));
    expect(cluster!.controlPlaneEndpoint).toBe('10.0.0.11:6443');
  });
});

describe('schema checks against the upstream types', () => {
  const cluster = { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ClusterConfiguration', controlPlaneEndpoint: '10.0.0.10:6443' };

  it('rejects an unknown field (a typo is not silently ignored)', () => {
    expect(() => checkDocument(cluster)).not.toThrow();
    expect(() => checkDocument({ ...cluster, controlPlaneEndpont: '10.0.0.10:6443' })).toThrow(/ClusterConfiguration \(kubeadm.k8s.io\/v1beta4\).*Unrecognized key.*"controlPlaneEndpont"/);
    expect(() => checkDocument({ ...cluster, networking: { podSubnet: '10.244.0.0/16', podCIDR: 'x' } })).toThrow(/networking: Unrecognized key.*"podCIDR"/);
  });

  it('knows v1beta3 from v1beta4: kubeletExtraArgs, fields that exist in only one', () => {
    const init = (apiVersion: string, kubeletExtraArgs: unknown) => ({ apiVersion, kind: 'InitConfiguration', nodeRegistration: { kubeletExtraArgs } });
    expect(() => checkDocument(init('kubeadm.k8s.io/v1beta4', [{ name: 'node-ip', value: '10.0.0.11' }]))).not.toThrow();
    expect(() => checkDocument(init('kubeadm.k8s.io/v1beta4', { 'node-ip': '10.0.0.11' }))).toThrow(/nodeRegistration.kubeletExtraArgs/);
    expect(() => checkDocument(init('kubeadm.k8s.io/v1beta3', [{ name: 'node-ip', value: '10.0.0.11' }]))).toThrow(/nodeRegistration.kubeletExtraArgs/);
    // timeoutForControlPlane moved to InitConfiguration.timeouts in v1beta4
    expect(() => checkDocument({ ...cluster, apiVersion: 'kubeadm.k8s.io/v1beta3', apiServer: { timeoutForControlPlane: '4m0s' } })).not.toThrow();
    expect(() => checkDocument({ ...cluster, apiServer: { timeoutForControlPlane: '4m0s' } })).toThrow(/apiServer: Unrecognized key.*timeoutForControlPlane/);
  });

  it('checks types and enums as upstream', () => {
    const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration' };
    expect(() => checkDocument({ ...kubelet, cgroupDriver: 'systemd', maxPods: 110 })).not.toThrow();
    expect(() => checkDocument({ ...kubelet, cgroupDriver: 'systemD' })).toThrow(/cgroupDriver/);
    expect(() => checkDocument({ ...kubelet, maxPods: '110' })).toThrow(/maxPods/);
    expect(() => checkDocument({ ...kubelet, evictionPressureTransitionPeriod: '5 minutes' })).toThrow(/Go duration/);
    expect(() => checkDocument({ ...cluster, encryptionAlgorithm: 'RSA-1024' })).toThrow(/encryptionAlgorithm/);
    expect(() =>
      checkDocument({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'JoinConfiguration', discovery: { bootstrapToken: { token: 'not-a-token', caCertHashes: [] } } }),
    ).toThrow(/discovery.bootstrapToken.token: expected a bootstrap token/);
    expect(() => checkDocument({ apiVersion: 'kubeadm.k8s.io/v1beta5', kind: 'InitConfiguration' })).toThrow(/unknown kubeadm document/);
  });

  it('refuses a bad kubelet_config var before any host is touched, naming the host and key', async () => {
    const inv = await inventory(SEED_001);
    expect(() => ctxOf(inv, 'bettley', { kubelet_config: { maxPod: 64 } })).toThrow(/host bettley: kubeadm_init.kubelet_config.maxPod: unknown key \(did you mean maxPods\?\)/);
    expect(() => ctxOf(inv, 'bettley', { kubelet_config: { cgroupDriver: 'cgroupfs' } })).toThrow(/kubeadm_init.kubelet_config.cgroupDriver: unknown key/);
  });
});

describe('derived defaults', () => {
  it('package version, apt repository and pause image follow cluster.kubernetes_version', async () => {
    const v32 = ctxOf(await inventory(SEED_003('1.32.2')), 'worker1').vars;
    expect(v32).toMatchObject({ package_version: '1.32.2-1.1', apt_repository: 'https://pkgs.k8s.io/core:/stable:/v1.32/deb/', pause_image: 'registry.k8s.io/pause:3.10', node_address: '10.10.0.141' });
    const v30 = ctxOf(await inventory(SEED_003('1.30.4')), 'worker1').vars;
    expect(v30).toMatchObject({ package_version: '1.30.4-1.1', apt_repository: 'https://pkgs.k8s.io/core:/stable:/v1.30/deb/', pause_image: 'registry.k8s.io/pause:3.9' });
    expect(aptSource(v32)).toBe('deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n');
  });

  it('admin.conf goes beside the inventory, named after the cluster', async () => {
    const inv = await inventory(SEED_001);
    expect(ctxOf(inv, 'bettley').vars.admin_conf_fetch_to).toBe(join(inv.sources[0]!, '..', 'goldentooth-admin.conf'));
  });

  it('a host in neither the control plane nor the worker group stops the run before it starts', async () => {
    const inv = await inventory(SEED_003('1.32.2'));
    expect(() => resolveAllVars([play({ name: 'k8s', hosts: 'all', roles: [kubeadmInit] })], inv)).toThrow(
      /host gateway1: kubeadm-init needs it in "control_plane" or "workers"/,
    );
  });
});

describe('containerd config', () => {
  it('containerd 1.x (Debian bookworm): version 2, io.containerd.grpc.v1.cri, SystemdCgroup', () => {
    const { content, assumption } = renderContainerdConfig('1.6.20~ds1', 'registry.k8s.io/pause:3.10');
    expect(assumption).toBeUndefined();
    expect(content).toContain('version = 2\n');
    expect(content).toContain('disabled_plugins = []\n');
    expect(content).toContain('[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.10"\n');
    expect(content).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n');
  });

  it('containerd 2.x: version 3, io.containerd.cri.v1.runtime', () => {
    const { content } = renderContainerdConfig('2.0.4', 'registry.k8s.io/pause:3.10');
    expect(content).toContain('version = 3\n');
    expect(content).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true\n");
    expect(content).toContain("[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = \"registry.k8s.io/pause:3.10\"\n");
    expect(content).not.toContain('grpc.v1.cri');
  });

  it('not installed yet: 1.x assumed, and said', () => {
    expect(renderContainerdConfig(undefined, 'registry.k8s.io/pause:3.10').assumption).toMatch(/not installed yet: assuming 1.x/);
  });
});

// ---- the join: data from the first control plane, through ctx.delegate ----

const HASH = `sha256:${'c'.repeat(64)}`;
const KEY = 'd'.repeat(64);

/** The first control plane: answers kubeadm's commands like the real one would. */
class FirstControlPlane extends FixtureContext {
  now = 10_000;
  state = '';
  uploads = 0;
  override async run(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
    await super.run(cmd, opts);
    const out = (stdout: string): ExecResult => ({ stdout, stderr: '', code: 0 });
    if (cmd.text.startsWith('kubeadm token create')) return out(`kubeadm join 10.0.0.11:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${HASH} \n`);
    if (cmd.text.startsWith('date +%s')) return out(`${this.now}\n${this.state}`);
    if (cmd.text.startsWith('kubeadm init phase upload-certs')) {
      this.uploads++;
      return out(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${KEY}\n`);
    }
    if (opts?.stdin) this.state = String(opts.stdin);
    return out('');
  }
}

class JoiningNode extends FixtureContext {
  constructor(
    facts: ConstructorParameters<typeof FixtureContext>[0],
    readonly first: OpContext,
  ) {
    super(facts);
  }
  delegations = 0;
  async delegate(): Promise<OpContext> {
    this.delegations++;
    return this.first;
  }
}

const cp1Host: Host = { name: 'cp1', vars: {}, groups: ['all', 'control_plane'], connection: { kind: 'ssh', address: '10.0.0.11', port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } };

function joinOp(controlPlane: boolean) {
  let rendered: JoinSecrets | undefined;
  const op = kubeadmJoin({
    first: cp1Host,
    controlPlane,
    configPath: '/etc/kubernetes/kubeadm-join.yaml',
    endpoint: '10.0.0.11:6443',
    render: (s) => {
      rendered = s;
      return `joinconfig for ${s.token} ${s.certificateKey ?? 'no key'}\n`;
    },
    tokenTtl: '1h',
    certificateKeyState: '/var/lib/labwright/kubeadm-certificate-key',
    certificateKeyReuseSeconds: 6000,
  });
  return { op, secrets: () => rendered };
}

describe('kubeadmJoin', () => {
  it('a joined node is left alone: no question to the first control plane', async () => {
    const node = new JoiningNode([[pathExists(KUBELET_CONF), true]], new FirstControlPlane());
    expect(await node.planAndApply(joinOp(true).op)).toEqual({ kind: 'ok', reason: `joined already (${KUBELET_CONF} exists)` });
    expect(node.delegations).toBe(0);
  });

  it('check mode says the first control plane is not initialised yet; applying then fails clearly', async () => {
    const cp1 = new FirstControlPlane([[pathExists(ADMIN_CONF), false]]);
    const node = new JoiningNode([[pathExists(KUBELET_CONF), false]], cp1);
    const plan = await joinOp(false).op.plan(node);
    expect(plan.kind !== 'ok' && plan.changes[0]!.summary).toBe(
      'run: kubeadm join --config /etc/kubernetes/kubeadm-join.yaml: join h1 through 10.0.0.11:6443 as a worker, with a join token from cp1 (cp1 has no /etc/kubernetes/admin.conf yet: its kubeadm init comes first)',
    );
    await expect(plan.kind !== 'ok' ? plan.apply(node) : Promise.resolve()).rejects.toThrow(/cp1 is not initialised \(no \/etc\/kubernetes\/admin.conf\)/);
    expect(cp1.shown).toEqual([]);
  });

  it('a control plane: token and a new certificate key from cp1 (recorded with its time), then the join with them', async () => {
    const cp1 = new FirstControlPlane([[pathExists(ADMIN_CONF), true]]);
    const node = new JoiningNode([[pathExists(KUBELET_CONF), false]], cp1);
    const { op, secrets } = joinOp(true);
    await node.planAndApply(op);
    expect(cp1.shown).toEqual([
      'kubeadm token create --ttl 1h --print-join-command',
      'date +%s; cat /var/lib/labwright/kubeadm-certificate-key 2>/dev/null || true',
      'kubeadm init phase upload-certs --upload-certs',
      'umask 077 && mkdir -p /var/lib/labwright && cat > /var/lib/labwright/kubeadm-certificate-key',
    ]);
    expect(cp1.state).toBe(`10000 ${KEY}\n`);
    expect(secrets()).toEqual({ endpoint: '10.0.0.11:6443', token: 'abcdef.0123456789abcdef', caCertHash: HASH, certificateKey: KEY });
    expect(node.commands).toHaveLength(1);
    expect(node.shown[0]).toContain("mkdir -p /etc/kubernetes\numask 077\nf=/etc/kubernetes/kubeadm-join.yaml\ntrap 'rm -f \"$f\"' EXIT\ncat > \"$f\"\nkubeadm config validate --config \"$f\"\nkubeadm join --config \"$f\"");
    expect(node.commands[0]!.opts?.stdin).toBe(`joinconfig for abcdef.0123456789abcdef ${KEY}\n`);
  });

  it('reuses a certificate key younger than the limit; re-issues an older one', async () => {
    const young = new FirstControlPlane([[pathExists(ADMIN_CONF), true]]);
    young.state = `${young.now - 3000} ${'e'.repeat(64)}\n`;
    const { op, secrets } = joinOp(true);
    await new JoiningNode([[pathExists(KUBELET_CONF), false]], young).planAndApply(op);
    expect(young.uploads).toBe(0);
    expect(secrets()!.certificateKey).toBe('e'.repeat(64));

    const old = new FirstControlPlane([[pathExists(ADMIN_CONF), true]]);
    old.state = `${old.now - 7000} ${'e'.repeat(64)}\n`;
    const again = joinOp(true);
    await new JoiningNode([[pathExists(KUBELET_CONF), false]], old).planAndApply(again.op);
    expect(old.uploads).toBe(1);
    expect(again.secrets()!.certificateKey).toBe(KEY);
  });

  it('one join command per run for every node; workers carry no certificate key', async () => {
    const cp1 = new FirstControlPlane([[pathExists(ADMIN_CONF), true]]);
    const workers = ['w1', 'w2'].map(() => new JoiningNode([[pathExists(KUBELET_CONF), false]], cp1));
    const ops = workers.map(() => joinOp(false));
    await Promise.all(workers.map((w, i) => w.planAndApply(ops[i]!.op)));
    expect(cp1.shown).toEqual(['kubeadm token create --ttl 1h --print-join-command']);
    expect(ops.map((o) => o.secrets()!.certificateKey)).toEqual([undefined, undefined]);
  });

  it('parses what kubeadm prints', () => {
    expect(parseJoinCommand(`kubeadm join 192.168.68.200:6443 --token 9vr73a.a8uxyaju799qwdjv --discovery-token-ca-cert-hash ${HASH} \n`)).toEqual({
      endpoint: '192.168.68.200:6443',
      token: '9vr73a.a8uxyaju799qwdjv',
      caCertHash: HASH,
    });
    expect(() => parseJoinCommand('error: no admin.conf')).toThrow(/no join command/);
    expect(parseCertificateKey(`[upload-certs] Using certificate key:\n${KEY}\n`)).toBe(KEY);
    expect(() => parseCertificateKey('[upload-certs] failed\n')).toThrow(/no certificate key/);
  });
});

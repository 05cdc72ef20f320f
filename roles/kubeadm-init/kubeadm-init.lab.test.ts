import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { expectNoChanges, hostFingerprint, mainProcess, runPlays } from '../haproxy/lab-support.js';
import { kubeadmInit } from './index.js';
import { shOn } from '../../test/support/lab-shell.js';
import { installKubeadmStandin, kubeadmCalls, MAKE_DEBS, type KubeadmCall } from '../../test/standins/kubeadm/index.js';
import { installKubectlStandin, invocations, STANDIN_STORE } from '../../test/standins/kubectl/index.js';

/**
 * Three lab containers (cp1, cp2 in control_plane; w1 in workers) brought up
 * by the role. Prerequisites are real: swap/fstab, kernel modules, sysctls,
 * containerd from Debian (installed, configured, running), the apt source
 * and key, the pin and hold of kubeadm/kubelet/kubectl. What cannot run here
 * is a stand-in: kubeadm (test/standins/kubeadm/kubeadm, installed by this
 * test as /usr/local/bin/kubeadm: it records every call and makes the files
 * the real one makes) and the three Kubernetes packages (empty .debs at the
 * pinned version built with dpkg-deb, test/standins/kubeadm/make-debs.sh),
 * because pkgs.k8s.io and the image registries are out of reach. apt is
 * never asked to read the Kubernetes repository: the packages are already
 * at the pinned version, so the role has nothing to install.
 */
const VERSION = '1.32.2-1.1';
/** Shaped like an armored key so the var accepts it; apt never reads it in this test (no apt-get update against the repository). */
const TEST_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nlabwright lab-test fixture, not a real key\n-----END PGP PUBLIC KEY BLOCK-----\n';

let lab: Lab;
let cp1: LabHost;
let cp2: LabHost;
let w1: LabHost;
let all: LabHost[];
let adminConfCopy: string;
const figures: string[] = [];

type Params = Parameters<typeof kubeadmInit.with>[0];
const run = (flags: string[] = [], params: Params = {}) => runPlays(lab, [play({ name: 'cluster', hosts: 'all', roles: [kubeadmInit.with(params)] })], flags);

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const out = await f();
  figures.push(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return out;
}

/** Copies a file of this repository into a container (base64 through argv: the lab's exec has no stdin). */
/** The subcommand: the words before the first flag ("init phase upload-certs", "token create", "join"). */
const verb = (c: KubeadmCall) => {
  const flag = c.argv.findIndex((a) => a.startsWith('-'));
  return (flag < 0 ? c.argv : c.argv.slice(0, flag)).join(' ');
};

/** The output of one task (or handler) banner, up to the next banner. */
function section(out: string, title: string): string {
  const start = out.indexOf(`TASK [kubeadm-init : ${title}]`);
  if (start < 0) throw new Error(`no task "${title}" in the output:\n${out}`);
  const next = out.slice(start + 1).search(/\n(TASK|RUNNING HANDLER|PLAY RECAP) /);
  return next < 0 ? out.slice(start) : out.slice(start, start + 1 + next);
}

const INIT = 'kubeadm init on the first control plane';
const JOIN_CPS = 'join the other control planes, one at a time';
const JOIN_WORKERS = 'join the workers';

beforeAll(async () => {
  lab = await startLab({
    name: `kubeadm-${process.pid}`,
    hosts: [
      { name: 'cp1', groups: ['control_plane'] },
      { name: 'cp2', groups: ['control_plane'] },
      { name: 'w1', groups: ['workers'] },
    ],
  });
  [cp1, cp2, w1] = [lab.host('cp1'), lab.host('cp2'), lab.host('w1')];
  all = [cp1, cp2, w1];
  // group_vars/all-style: the cluster is described once; no VIP or load balancer, so cp1 is the endpoint
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.vars = { cluster: { kubernetes_version: '1.32.2' }, kubeadm_init: { apt_key: TEST_KEY } };
  await writeFile(lab.inventoryPath, stringify(inventory));
  adminConfCopy = join(dirname(lab.inventoryPath), 'kubernetes-admin.conf');
  await Promise.all(
    all.map(async (h) => {
      await installKubeadmStandin(h);
      await shOn(h, `${MAKE_DEBS} ${VERSION}`);
    }),
  );
  // kubectl on cp1 (the stand-in, for the node labels and taints); its FAKE admin.conf goes: kubeadm init makes one
  await installKubectlStandin(cp1);
  await shOn(cp1, 'rm /etc/kubernetes/admin.conf');
  // a swap line the role must comment out (the container has no swap to turn off)
  await shOn(w1, "echo '/swapfile none swap sw 0 0' >> /etc/fstab");
}, 900_000); // three containers, apt on each: minutes on a loaded machine

afterAll(async () => {
  if (figures.length > 0) console.log(`kubeadm-init figures:\n  ${figures.join('\n  ')}`);
  await lab?.stop();
});

describe('kubeadm-init on three lab hosts (kubeadm and the Kubernetes packages are stand-ins)', { timeout: 600_000 }, () => {
  it('--check on the fresh lab: init on cp1, then cp2 joins, then w1; nothing changes', async () => {
    const before = await Promise.all(all.map((h) => hostFingerprint(h, ['containerd', 'kubelet'])));
    const { code, out } = await timed('--check on the fresh lab', () => run(['--check', '--diff']));
    expect(code, out).toBe(0);

    const init = section(out, INIT);
    expect(init).toContain('would change: [cp1]\n    - run: kubeadm init --config /etc/kubernetes/kubeadm-config.yaml --upload-certs');
    expect(init).not.toMatch(/^ok: \[cp1\]/m);
    expect(init).toContain('skipping: [cp2]');
    const ep = `${cp1.ip}:6443`;
    expect(section(out, JOIN_CPS)).toContain(
      `would change: [cp2]\n    - run: kubeadm join --config /etc/kubernetes/kubeadm-join.yaml: join cp2 through ${ep} as a control plane, ` +
        'with a join token and the certificate key from cp1 (cp1 has no /etc/kubernetes/admin.conf yet: its kubeadm init comes first)',
    );
    expect(section(out, JOIN_WORKERS)).toContain(
      `would change: [w1]\n    - run: kubeadm join --config /etc/kubernetes/kubeadm-join.yaml: join w1 through ${ep} as a worker, with a join token from cp1 (cp1 has no /etc/kubernetes/admin.conf yet`,
    );
    expect(out.indexOf(`TASK [kubeadm-init : ${INIT}]`)).toBeLessThan(out.indexOf(`TASK [kubeadm-init : ${JOIN_CPS}]`));
    expect(out.indexOf(`TASK [kubeadm-init : ${JOIN_CPS}]`)).toBeLessThan(out.indexOf(`TASK [kubeadm-init : ${JOIN_WORKERS}]`));
    // the init configuration is shown as a diff, the Kubernetes source too
    expect(out).toContain(`+controlPlaneEndpoint: ${ep}`);
    expect(out).toContain('+deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /');
    expect(section(out, 'admin.conf to the controller')).toContain(`would change: [cp1]\n    - fetch cp1:/etc/kubernetes/admin.conf → ${adminConfCopy} (0600, on the controller) once it exists`);

    expect(await Promise.all(all.map((h) => hostFingerprint(h, ['containerd', 'kubelet'])))).toEqual(before);
    expect((await Promise.all(all.map(kubeadmCalls))).flat()).toEqual([]);
    await expect(stat(adminConfCopy)).rejects.toThrow(/ENOENT/);
  });

  it('applies: prerequisites for real, init on cp1, cp2 joins as a control plane with the certificate key, w1 as a worker with the token from cp1', async () => {
    const { code, out } = await timed('first apply (3 hosts, containerd from Debian)', () => run());
    expect(code, out).toBe(0);

    // prerequisites on every host
    for (const h of all) {
      expect(await shOn(h, 'cat /etc/modules-load.d/k8s.conf')).toBe('br_netfilter\noverlay\n');
      expect(await shOn(h, 'cat /etc/sysctl.d/k8s.conf')).toBe(
        'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n',
      );
      expect(await shOn(h, 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-ip6tables')).toBe('1\n1\n1\n');
      expect(await shOn(h, "dpkg-query -W -f='${db:Status-Abbrev}' containerd")).toMatch(/^ii/);
      const toml = await shOn(h, 'cat /etc/containerd/config.toml');
      expect(toml).toContain('version = 2\n');
      expect(toml).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n');
      expect((await shOn(h, 'systemctl is-active containerd; systemctl is-enabled containerd kubelet')).split('\n')).toEqual(['active', 'enabled', 'enabled', '']);
      // the CRI plugin loaded with this config
      expect(await shOn(h, 'ctr plugins ls')).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/);
      expect(await shOn(h, 'containerd config dump')).toMatch(/SystemdCgroup = true/);
      expect(await shOn(h, 'cat /etc/apt/sources.list.d/kubernetes.list')).toBe(
        'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n',
      );
      expect(await shOn(h, 'cat /etc/apt/keyrings/kubernetes-apt-keyring.asc')).toBe(TEST_KEY);
      // apt never fetched the Kubernetes repository's indexes
      expect(await shOn(h, 'ls /var/lib/apt/lists /var/lib/apt/lists/partial | grep -c pkgs.k8s.io || true')).toBe('0\n');
      expect((await shOn(h, 'apt-mark showhold')).split('\n').filter(Boolean).sort()).toEqual(['kubeadm', 'kubectl', 'kubelet']);
      expect(await shOn(h, "dpkg-query -W -f='${Package} ${Version}\\n' kubeadm kubelet kubectl")).toBe(`kubeadm ${VERSION}\nkubectl ${VERSION}\nkubelet ${VERSION}\n`);
    }
    expect(await shOn(w1, 'grep swapfile /etc/fstab')).toBe('#/swapfile none swap sw 0 0\n');
    // containerd was restarted with its new config before kubeadm ran
    expect(out.indexOf('RUNNING HANDLER [kubeadm-init : restart containerd]')).toBeGreaterThan(-1);
    expect(out.indexOf('RUNNING HANDLER [kubeadm-init : restart containerd]')).toBeLessThan(out.indexOf(`TASK [kubeadm-init : ${INIT}]`));

    // the kubeadm calls, across hosts, in time order
    const [c1, c2, c3] = await Promise.all(all.map(kubeadmCalls));
    const timeline = [...c1!, ...c2!, ...c3!].sort((a, b) => a.t - b.t);
    expect(timeline.map((c) => `${c.host} ${verb(c)} exit=${c.exit}`)).toEqual([
      'cp1 config validate exit=0', // the init configuration, checked before it went live
      'cp1 init exit=0',
      'cp1 token create exit=0', // for cp2
      'cp1 init phase upload-certs exit=0', // the certificate key for cp2
      'cp2 config validate exit=0', // the JoinConfiguration, checked before the join
      'cp2 join exit=0',
      'w1 config validate exit=0',
      'w1 join exit=0',
    ]);
    const init = timeline.find((c) => c.host === 'cp1' && verb(c) === 'init')!;
    expect(init.argv).toEqual(['init', '--config', '/etc/kubernetes/kubeadm-config.yaml', '--upload-certs']);
    expect(init.config).toMatchObject({
      kinds: ['kubeadm.k8s.io/v1beta4/InitConfiguration', 'kubeadm.k8s.io/v1beta4/ClusterConfiguration', 'kubelet.config.k8s.io/v1beta1/KubeletConfiguration'],
      controlPlaneEndpoint: `${cp1.ip}:6443`,
      advertiseAddress: cp1.ip,
      podSubnet: '192.168.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      kubernetesVersion: 'v1.32.2',
    });
    const token = (timeline.find((c) => verb(c) === 'token create')!.config as { token: string }).token;
    const certificateKey = (timeline.find((c) => verb(c) === 'init phase upload-certs')!.config as { certificateKey: string }).certificateKey;
    const caCertHash = JSON.parse(await shOn(cp1, 'cat /var/lib/kubeadm-standin/cluster.json')).caCertHash as string;
    const cpJoin = timeline.find((c) => c.host === 'cp2' && verb(c) === 'join')!;
    expect(cpJoin.argv).toEqual(['join', '--config', '/etc/kubernetes/kubeadm-join.yaml']);
    expect(cpJoin.config).toEqual({
      kinds: ['kubeadm.k8s.io/v1beta4/JoinConfiguration'],
      apiServerEndpoint: `${cp1.ip}:6443`,
      token,
      caCertHashes: [caCertHash],
      controlPlane: true,
      certificateKey,
      advertiseAddress: cp2.ip,
    });
    expect(timeline.find((c) => c.host === 'w1' && verb(c) === 'join')!.config).toEqual({
      kinds: ['kubeadm.k8s.io/v1beta4/JoinConfiguration'],
      apiServerEndpoint: `${cp1.ip}:6443`,
      token,
      caCertHashes: [caCertHash],
      controlPlane: false,
    });
    // secrets never reach the output; the join configuration does not stay on the nodes
    expect(out).not.toContain(token);
    expect(out).not.toContain(certificateKey);
    for (const h of [cp2, w1]) expect(await shOn(h, 'test -e /etc/kubernetes/kubeadm-join.yaml && echo kept || echo removed')).toBe('removed\n');
    // the certificate key's issue time is kept on cp1, readable by root only
    expect(await shOn(cp1, 'stat -c %a /var/lib/labwright/kubeadm-certificate-key; cut -d" " -f2 /var/lib/labwright/kubeadm-certificate-key')).toBe(`600\n${certificateKey}\n`);

    // what kubeadm made on each node
    expect(await shOn(cp1, 'ls /etc/kubernetes')).toMatch(/admin\.conf\n[\s\S]*kubelet\.conf/);
    expect(await shOn(cp2, 'test -e /etc/kubernetes/admin.conf && test -e /etc/kubernetes/kubelet.conf && echo cp')).toBe('cp\n');
    expect(await shOn(w1, 'test -e /etc/kubernetes/kubelet.conf && test ! -e /etc/kubernetes/admin.conf && echo worker')).toBe('worker\n');
    // admin.conf on the controller: cp1's, 0600
    expect(await readFile(adminConfCopy, 'utf8')).toBe(await shOn(cp1, 'cat /etc/kubernetes/admin.conf'));
    expect((await stat(adminConfCopy)).mode & 0o777).toBe(0o600);
  });

  it('a second apply makes no kubeadm call and changes nothing; --check agrees', async () => {
    const logs = await Promise.all(all.map((h) => shOn(h, 'sha256sum /var/log/kubeadm-standin.log')));
    const { code, out } = await timed('second apply', () => run());
    expect(code, out).toBe(0);
    expectNoChanges(out, ['cp1', 'cp2', 'w1']);
    expect(section(out, INIT)).toContain('ok: [cp1] /etc/kubernetes/admin.conf exists');
    expect(section(out, JOIN_CPS)).toContain('ok: [cp2] joined already (/etc/kubernetes/kubelet.conf exists)');
    expect(section(out, JOIN_WORKERS)).toContain('ok: [w1] joined already (/etc/kubernetes/kubelet.conf exists)');
    // what the container offers: br_netfilter is built into this kernel (no /sys/module entry), found through /proc/sys/net/bridge
    expect(section(out, 'kernel modules for the pod network')).toContain('ok: [cp1] module br_netfilter is in the kernel');
    expect(out).not.toContain('RUNNING HANDLER');
    expect(await Promise.all(all.map((h) => shOn(h, 'sha256sum /var/log/kubeadm-standin.log')))).toEqual(logs);

    const check = await timed('--check after apply', () => run(['--check']));
    expect(check.code, check.out).toBe(0);
    expectNoChanges(check.out, ['cp1', 'cp2', 'w1']);
    expect(check.out).not.toContain('would');
    expect(await Promise.all(all.map((h) => shOn(h, 'sha256sum /var/log/kubeadm-standin.log')))).toEqual(logs);
  });

  it('a containerd config change restarts containerd through the handler, and nothing else', async () => {
    const logs = await Promise.all(all.map((h) => shOn(h, 'sha256sum /var/log/kubeadm-standin.log')));
    const before = await Promise.all(all.map((h) => mainProcess(h, 'containerd')));
    const { code, out } = await run([], { pause_image: 'registry.k8s.io/pause:3.9' });
    expect(code, out).toBe(0);
    expect(out).toContain('RUNNING HANDLER [kubeadm-init : restart containerd]');
    const after = await Promise.all(all.map((h) => mainProcess(h, 'containerd')));
    after.forEach((a, i) => expect(a.pid).not.toBe(before[i]!.pid));
    for (const h of all) expect(await shOn(h, 'grep sandbox_image /etc/containerd/config.toml')).toBe('  sandbox_image = "registry.k8s.io/pause:3.9"\n');
    expect(await Promise.all(all.map((h) => shOn(h, 'sha256sum /var/log/kubeadm-standin.log')))).toEqual(logs);
    // back to the default, then quiet again
    expect((await run()).code).toBe(0);
    const again = await run();
    expectNoChanges(again.out, ['cp1', 'cp2', 'w1']);
  });

  it('labels and taints reconciled on registered nodes (kubectl on cp1), untainted control planes, an nvidia runtime in a containerd drop-in', async () => {
    // each kubelet registers its node (played on cp1's stand-in API): control planes with kubeadm's taint
    for (const [name, cp] of [['cp1', true], ['cp2', true], ['w1', false]] as const) {
      const node = { labels: {}, taints: cp ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [], ready: true };
      await shOn(cp1, `mkdir -p ${STANDIN_STORE}/nodes && echo '${JSON.stringify(node)}' > ${STANDIN_STORE}/nodes/${name}.json`);
    }
    const callsBefore = (await Promise.all(all.map(kubeadmCalls))).map((c) => c.length);
    const before = await Promise.all(all.map((h) => mainProcess(h, 'containerd')));
    const params: Params = {
      node_labels: { gpu: 'true', 'node-role.kubernetes.io/gpu': '' },
      node_taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
      untaint_control_plane: true,
      containerd_runtimes: { nvidia: { binary_name: '/usr/bin/nvidia-container-runtime' } },
    };
    const { code, out } = await run([], params);
    expect(code, out).toBe(0);
    const nodes = await Promise.all(['cp1', 'cp2', 'w1'].map(async (n) => JSON.parse(await shOn(cp1, `cat ${STANDIN_STORE}/nodes/${n}.json`))));
    for (const n of nodes) {
      expect(n.labels).toEqual({ gpu: 'true', 'node-role.kubernetes.io/gpu': '' });
      expect(n.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]); // the control-plane taint removed from cp1, cp2
    }
    const kubectlWrites = (await invocations(cp1)).filter((c) => c.verb === 'label' || c.verb === 'taint').map((c) => `${c.verb} ${c.objects.join(' ')} exit=${c.exit}`);
    expect(kubectlWrites.sort()).toEqual(
      ['label node/cp1 exit=0', 'label node/cp2 exit=0', 'label node/w1 exit=0', 'taint node/cp1 exit=0', 'taint node/cp1 exit=0', 'taint node/cp2 exit=0', 'taint node/cp2 exit=0', 'taint node/w1 exit=0'].sort(),
    );
    // the runtime: a drop-in the real containerd 1.6 merges (config dump), the main config unchanged but for its imports line
    for (const h of all) {
      expect(await shOn(h, 'containerd config dump')).toMatch(/\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.nvidia\.options\]\n(\s+\S.*\n)*?\s+BinaryName = "\/usr\/bin\/nvidia-container-runtime"/);
      expect(await shOn(h, 'grep -c imports /etc/containerd/config.toml')).toBe('1\n');
    }
    const after = await Promise.all(all.map((h) => mainProcess(h, 'containerd')));
    after.forEach((a, i) => expect(a.pid).not.toBe(before[i]!.pid)); // restarted through the handler
    // kubeadm: only cp1's init configuration (its taints changed) validated again; no init, no join
    expect((await Promise.all(all.map(kubeadmCalls))).flatMap((c, i) => c.slice(callsBefore[i])).map((c) => `${c.host} ${verb(c)}`)).toEqual(['cp1 config validate']);

    // again: nothing to do, no kubectl write
    const writes = (await invocations(cp1)).length;
    const again = await run([], params);
    expectNoChanges(again.out, ['cp1', 'cp2', 'w1']);
    expect((await invocations(cp1)).filter((c, i) => i >= writes && c.verb !== 'get')).toEqual([]);
    // without runtimes the drop-in goes (labels and taints stay: the role does not record what it set)
    const back = await run();
    expect(back.code, back.out).toBe(0);
    for (const h of all) expect(await shOn(h, 'test -e /etc/containerd/conf.d/50-labwright-runtimes.toml && echo kept || echo removed')).toBe('removed\n');
    expectNoChanges((await run()).out, ['cp1', 'cp2', 'w1']);
  });

  it('kubeadm config validate refuses a configuration before it goes live (a kubeadm 1.30 does not know v1beta4); the old one stays', async () => {
    await shOn(cp1, 'echo v1.30.0 > /etc/kubeadm-standin-version');
    try {
      const sum = await shOn(cp1, 'sha256sum /etc/kubernetes/kubeadm-config.yaml');
      const { code, out } = await run([], { kubelet_config: { maxPods: 50 } });
      expect(code).toBe(2);
      expect(out).toContain('kubeadm config validate --config /etc/kubernetes/.kubeadm-config.yaml.lwtmp.');
      expect(out).toContain('no kind "InitConfiguration" is registered for version "kubeadm.k8s.io/v1beta4"');
      expect(await shOn(cp1, 'sha256sum /etc/kubernetes/kubeadm-config.yaml')).toBe(sum);
      expect((await kubeadmCalls(cp1)).filter((c) => verb(c) === 'init')).toHaveLength(1);
    } finally {
      await shOn(cp1, 'rm -f /etc/kubeadm-standin-version');
    }
    expectNoChanges((await run()).out, ['cp1', 'cp2', 'w1']);
  });

  it('what a container does not allow fails with a clear message, and changes nothing', async () => {
    const modules = await shOn(cp1, 'cat /etc/modules-load.d/k8s.conf');
    const withMissing = await run(['--tags', 'kubeadm-init:prereq'], {
      kernel_modules: [{ name: 'br_netfilter', present_if: '/proc/sys/net/bridge' }, { name: 'overlay' }, { name: 'lw_absent_module' }],
    });
    expect(withMissing.code).toBe(2);
    expect(withMissing.out).toMatch(/stderr: kernel module lw_absent_module is not in the kernel and cannot be loaded here \(modprobe: FATAL: Module lw_absent_module not found in directory \/lib\/modules\/\S+\); in a container, load it on the host's kernel/);
    expect(await shOn(cp1, 'cat /etc/modules-load.d/k8s.conf')).toBe(modules);

    // /proc/sys is read-only in the lab's containers: a value that differs cannot be set
    const sysctls = await shOn(cp1, 'cat /etc/sysctl.d/k8s.conf');
    const readOnly = await run(['--tags', 'kubeadm-init:prereq'], { sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.tcp_syncookies': 0 } });
    expect(readOnly.code).toBe(2);
    expect(readOnly.out).toContain('sysctl: permission denied on key "net.ipv4.tcp_syncookies"');
    expect(await shOn(cp1, 'cat /etc/sysctl.d/k8s.conf')).toBe(sysctls);
  });

  it('over all these runs apt never fetched the Kubernetes repository', async () => {
    for (const h of all) {
      expect(await shOn(h, 'ls /var/lib/apt/lists /var/lib/apt/lists/partial | grep -c pkgs.k8s.io || true')).toBe('0\n');
    }
  });

  it('the stand-in fails a second init and a second join like the real kubeadm (what the guards prevent)', async () => {
    const init = await cp1.exec(['kubeadm', 'init', '--config', '/etc/kubernetes/kubeadm-config.yaml', '--upload-certs']);
    expect(init.exitCode).toBe(1);
    expect(init.output).toContain('[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists');
    const join = await w1.exec(['kubeadm', 'join', `${cp1.ip}:6443`, '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', `sha256:${'0'.repeat(64)}`]);
    expect(join.exitCode).toBe(1);
    expect(join.output).toContain('[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { removeNodes } from '../../playbooks/remove-node.js';
import { upgrade } from '../../playbooks/upgrade.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { installKubeadmStandin, kubeadmCalls, MAKE_DEBS } from '../../test/standins/kubeadm/index.js';
import { installKubectlStandin, invocations, STANDIN_STORE } from '../../test/standins/kubectl/index.js';
import { shOn, shResult } from '../../test/support/lab-shell.js';
import { expectNoChanges, putFile, runPlays } from '../haproxy/lab-support.js';

/**
 * The upgrade and removal playbooks on three lab containers (cp1, cp2 in
 * control_plane; w1 in workers) whose cluster is played by stand-ins:
 * kubeadm (test/standins/kubeadm/kubeadm: records calls, keeps the control
 * plane's version in its static pod manifests, refuses an upgrade above its
 * own package's version or across two minors), kubectl on cp1
 * (test/standins/kubectl: drain/uncordon/label/taint/delete of Node objects
 * the test registers, as each kubelet would) and the packages kubeadm,
 * kubelet, kubectl (empty .debs). Real here: dpkg, apt (the new version
 * comes from a flat repository in the container, signed on the controller
 * with a throwaway gpg key that becomes the role's apt_key), apt-mark holds,
 * systemd restarting the (stand-in) kubelet unit, the run's order and its
 * stop on failure.
 */
const OLD = '1.32.2-1.1';
const NEW = '1.32.3-1.1';
const REPO = '/srv/k8s-standin-repo';

let lab: Lab;
let cp1: LabHost;
let cp2: LabHost;
let w1: LabHost;
let all: LabHost[];
let gnupg: string;

const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: gnupg } });

/** Every kubeadm call after the bootstrap, across hosts, in time order: "cp1 upgrade apply v1.32.3 --yes exit=0". */
async function upgradeTimeline(): Promise<string[]> {
  const calls = (await Promise.all(all.map(kubeadmCalls))).flat().sort((a, b) => a.t - b.t);
  return calls.filter((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'reset').map((c) => `${c.host} ${c.argv.join(' ')} exit=${c.exit}`);
}
/** kubectl calls on cp1 that change nodes: "drain cp2". */
async function nodeWrites(): Promise<string[]> {
  return (await invocations(cp1)).filter((c) => c.verb && ['drain', 'uncordon', 'wait', 'delete', 'label', 'taint'].includes(c.verb) && c.exit === 0).map((c) => `${c.verb} ${c.objects.join(' ')}`);
}
const packages = (h: LabHost) => shOn(h, "dpkg-query -W -f='${Package} ${Version}\\n' kubeadm kubelet kubectl; apt-mark showhold | sort | tr '\\n' ' '");
const heldAt = (v: string) => `kubeadm ${v}\nkubectl ${v}\nkubelet ${v}\nkubeadm kubectl kubelet `;
const node = async (name: string) => JSON.parse(await shOn(cp1, `cat ${STANDIN_STORE}/nodes/${name}.json`)) as { unschedulable?: boolean; taints?: unknown[] };
const apiserverTag = (h: LabHost) => shOn(h, "sed -n 's#.*/kube-apiserver:##p' /etc/kubernetes/manifests/kube-apiserver.yaml");

beforeAll(async () => {
  lab = await startLab({
    name: `kubeadm-life-${process.pid}`,
    hosts: [
      { name: 'cp1', groups: ['control_plane'] },
      { name: 'cp2', groups: ['control_plane'] },
      { name: 'w1', groups: ['workers'] },
    ],
  });
  [cp1, cp2, w1] = [lab.host('cp1'), lab.host('cp2'), lab.host('w1')];
  all = [cp1, cp2, w1];

  // a throwaway signing key on the controller: the repository's key, given to the role as apt_key
  gnupg = mkdtempSync(join(tmpdir(), 'lw-gpg-'));
  gpg('--quick-gen-key', 'labwright lab test repository <lab@labwright.invalid>', 'ed25519', 'sign', 'never');
  const key = gpg('--armor', '--export').toString();

  const inventory = parse(readFileSync(lab.inventoryPath, 'utf8'));
  inventory.all.vars = {
    cluster: { kubernetes_version: '1.32.3' },
    kubeadm_init: { apt_key: key, apt_repository: `file://${REPO}/` },
    kubeadm_upgrade: { ready_timeout: '20s', drain_timeout: '20s' },
  };
  writeFileSync(lab.inventoryPath, stringify(inventory));

  await Promise.all(
    all.map(async (h) => {
      await installKubeadmStandin(h);
      // the cluster's version, installed and held, and the next patch in the signed repository
      await shOn(h, `${MAKE_DEBS} ${OLD} && apt-mark hold kubeadm kubelet kubectl >/dev/null && systemctl start kubelet && ${MAKE_DEBS} ${NEW} ${REPO}`);
      const release = join(gnupg, `Release-${h.name}`);
      writeFileSync(release, await shOn(h, `cat ${REPO}/Release`));
      await putFile(h, `${REPO}/InRelease`, gpg('--clearsign', '-o', '-', release).toString());
    }),
  );
  // the cluster, bootstrapped with the stand-in as the kubeadm-init role would (its lab test proves that flow)
  await installKubectlStandin(cp1);
  await putFile(
    cp1,
    '/tmp/init.yaml',
    `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint: { advertiseAddress: ${cp1.ip}, bindPort: 6443 }\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.32.2\ncontrolPlaneEndpoint: ${cp1.ip}:6443\n`,
  );
  await shOn(cp1, 'kubeadm init --config /tmp/init.yaml --upload-certs >/dev/null');
  const { caCertHash } = JSON.parse(await shOn(cp1, 'cat /var/lib/kubeadm-standin/cluster.json')) as { caCertHash: string };
  const join_ = `kubeadm join ${cp1.ip}:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${caCertHash}`;
  await shOn(cp2, `${join_} --control-plane --certificate-key ${'a'.repeat(64)} >/dev/null`);
  await shOn(w1, `${join_} >/dev/null`);
  // each kubelet registers its node (played on cp1's stand-in API)
  await shOn(cp1, `mkdir -p ${STANDIN_STORE}/nodes`);
  for (const [name, taints] of [['cp1', true], ['cp2', true], ['w1', false]] as const) {
    const n = { labels: {}, taints: taints ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [], unschedulable: false, ready: true };
    await putFile(cp1, `${STANDIN_STORE}/nodes/${name}.json`, JSON.stringify(n));
  }
  for (const h of [cp1, cp2]) expect(await apiserverTag(h)).toBe('v1.32.2\n');
}, 900_000); // three containers, apt on each: minutes on a loaded machine

afterAll(async () => {
  await lab?.stop();
  if (gnupg) rmSync(gnupg, { recursive: true, force: true });
});

const UPGRADE_TASK = 'TASK [kubeadm-upgrade : drain, upgrade, restart, uncordon, wait Ready]';

describe('playbooks/upgrade.ts (kubeadm, kubectl and the packages are stand-ins)', { timeout: 600_000 }, () => {
  it('--check shows the whole sequence, node by node, control planes first, and changes nothing', async () => {
    const before = await Promise.all(all.map(packages));
    const { code, out } = await runPlays(lab, upgrade, ['--check']);
    expect(code, out).toBe(0);
    const sequence = (host: string, middle: string[]) =>
      [
        `would change: [${host}]`,
        `    - drain ${host} (kubectl on cp1)`,
        `    - kubeadm ${OLD} → ${NEW}, held`,
        ...middle,
        `    - kubelet ${OLD} → ${NEW}, kubectl ${OLD} → ${NEW}, held`,
        '    - restart kubelet',
        `    - uncordon ${host} (kubectl on cp1)`,
        `    - wait until ${host} is Ready (kubectl on cp1, at most 20s)`,
      ].join('\n');
    expect(out).toContain(sequence('cp1', ['    - kubeadm upgrade plan v1.32.3', "    - kubeadm upgrade apply v1.32.3 --yes (the cluster's control plane, etcd and add-ons)"]));
    expect(out).toContain(sequence('cp2', ['    - kubeadm upgrade node (this control plane)']));
    expect(out).toContain(sequence('w1', ["    - kubeadm upgrade node (this worker's kubelet configuration)"]));
    // one node per batch, control planes before workers
    const at = (h: string) => out.indexOf(`would change: [${h}]\n    - drain`);
    expect(at('cp1')).toBeLessThan(at('cp2'));
    expect(at('cp2')).toBeLessThan(at('w1'));
    expect(out.split(UPGRADE_TASK).length - 1).toBe(3);
    expect(await Promise.all(all.map(packages))).toEqual(before);
    expect(await upgradeTimeline()).toEqual([]);
    expect(await nodeWrites()).toEqual([]);
  });

  it('a failure mid-upgrade stops the run: cp1 upgraded and serving, cp2 left drained, w1 untouched', async () => {
    await shOn(cp2, "echo 'upgrade node' > /etc/kubeadm-standin-fail");
    const { code, out } = await runPlays(lab, upgrade);
    expect(code, out).toBe(2);
    expect(out).toContain('1 of 1 hosts failed (max_fail_percentage 0)');
    expect(out).not.toContain('upgrade the workers');
    expect(await upgradeTimeline()).toEqual([
      'cp1 upgrade plan v1.32.3 exit=0',
      'cp1 upgrade apply v1.32.3 --yes exit=0', // accepted: kubeadm's package was at 1.32.3 first (the stand-in refuses a target above its own version)
      'cp2 upgrade node exit=1',
    ]);
    expect(await nodeWrites()).toEqual(['drain node/cp1', 'uncordon node/cp1', 'wait node/cp1', 'drain node/cp2']);
    expect(await packages(cp1)).toBe(heldAt(NEW));
    expect(await apiserverTag(cp1)).toBe('v1.32.3\n');
    expect(await node('cp1')).toMatchObject({ unschedulable: false });
    // cp2: drained, kubeadm at the new version (held), kubelet and its control plane still the old ones
    expect(await packages(cp2)).toBe(`kubeadm ${NEW}\nkubectl ${OLD}\nkubelet ${OLD}\nkubeadm kubectl kubelet `);
    expect(await apiserverTag(cp2)).toBe('v1.32.2\n');
    expect(await node('cp2')).toMatchObject({ unschedulable: true });
    // w1 untouched
    expect(await packages(w1)).toBe(heldAt(OLD));
    expect(await node('w1')).toMatchObject({ unschedulable: false });
  });

  it('a rerun continues: cp1 is ok, cp2 finishes, then w1; the apt repository was the signed one', async () => {
    await shOn(cp2, 'rm /etc/kubeadm-standin-fail');
    const cp1Calls = (await kubeadmCalls(cp1)).length;
    const writes = (await nodeWrites()).length;
    const { code, out } = await runPlays(lab, upgrade);
    expect(code, out).toBe(0);
    expect(out).toMatch(/ok: \[cp1\] cp1 is at v1\.32\.3 \(kubeadm, kubelet, kubectl 1\.32\.3-1\.1 held, control plane v1\.32\.3\)/);
    expect((await kubeadmCalls(cp1)).length).toBe(cp1Calls);
    expect((await upgradeTimeline()).slice(3)).toEqual(['cp2 upgrade node exit=0', 'w1 upgrade node exit=0']);
    expect((await nodeWrites()).slice(writes)).toEqual(['drain node/cp2', 'uncordon node/cp2', 'wait node/cp2', 'drain node/w1', 'uncordon node/w1', 'wait node/w1']);
    for (const h of all) expect(await packages(h)).toBe(heldAt(NEW));
    for (const h of [cp1, cp2]) expect(await apiserverTag(h)).toBe('v1.32.3\n');
    for (const n of ['cp1', 'cp2', 'w1']) expect(await node(n)).toMatchObject({ unschedulable: false });
    // the (stand-in) kubelet was restarted under systemd, and the packages came through apt from the signed repository
    for (const h of all) expect(await shOn(h, 'systemctl is-active kubelet')).toBe('active\n');
    expect(await shOn(w1, 'apt-cache policy kubeadm')).toContain(`file:${REPO}`);
    expect(await shOn(w1, 'cat /etc/apt/sources.list.d/kubernetes.list')).toBe(`deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] file://${REPO}/ /\n`);
  });

  it('a third run changes nothing: every node is at the version', async () => {
    const writes = await nodeWrites();
    const { code, out } = await runPlays(lab, upgrade);
    expect(code, out).toBe(0);
    expectNoChanges(out, ['cp1', 'cp2', 'w1']);
    expect(await nodeWrites()).toEqual(writes);
  });

  it('two minors at once are refused before any node is touched', async () => {
    const { code, out } = await runPlays(lab, upgrade, ['-e', '{cluster: {kubernetes_version: 1.34.1}}', '--check']);
    expect(code).toBe(2);
    expect(out).toContain('cp1: kubeadm upgrades one minor at a time: 1.32 → 1.34 needs 1.33 first');
  });
});

describe('playbooks/remove-node.ts', { timeout: 600_000 }, () => {
  it('only named nodes; the first control plane is refused', async () => {
    const nothing = await runPlays(lab, removeNodes);
    expect(nothing.code, nothing.out).toBe(0);
    expect(nothing.out).not.toMatch(/changed: |would change/);
    const first = await runPlays(lab, removeNodes, ['-e', '{kubeadm_remove: {nodes: [cp1]}}', '--check']);
    expect(first.code).toBe(2);
    expect(first.out).toContain('cp1 is the first control plane');
  });

  it('a control plane: drained, its etcd member removed, reset, its Node deleted; a rerun is ok', async () => {
    const writes = (await nodeWrites()).length;
    const check = await runPlays(lab, removeNodes, ['-e', '{kubeadm_remove: {nodes: [cp2]}}', '--check']);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain(
      [
        'would change: [cp2]',
        '    - drain cp2 (kubectl on cp1)',
        "    - remove cp2's etcd member (kubeadm reset phase remove-etcd-member)",
        '    - kubeadm reset -f (kubelet config, static pods, certificates, local etcd data)',
        '    - delete node cp2 (kubectl on cp1)',
      ].join('\n'),
    );
    expect((await nodeWrites()).length).toBe(writes);

    const { code, out } = await runPlays(lab, removeNodes, ['-e', '{kubeadm_remove: {nodes: [cp2]}}']);
    expect(code, out).toBe(0);
    expect((await nodeWrites()).slice(writes)).toEqual(['drain node/cp2', 'delete node/cp2']);
    expect((await upgradeTimeline()).slice(-2)).toEqual(['cp2 reset phase remove-etcd-member exit=0', 'cp2 reset -f exit=0']);
    const removed = (await kubeadmCalls(cp2)).find((c) => c.argv.join(' ') === 'reset phase remove-etcd-member')!;
    const reset = (await kubeadmCalls(cp2)).find((c) => c.argv.join(' ') === 'reset -f')!;
    expect(removed.t).toBeLessThan(reset.t);
    expect(await shOn(cp2, 'ls /etc/kubernetes/kubelet.conf /etc/kubernetes/manifests /var/lib/etcd 2>&1 | grep -c "No such file"')).toBe('3\n');
    expect((await shResult(cp1, `test -e ${STANDIN_STORE}/nodes/cp2.json`)).exitCode).toBe(1);
    // the others untouched
    expect(await node('w1')).toMatchObject({ unschedulable: false });
    expect(await apiserverTag(cp1)).toBe('v1.32.3\n');

    const again = await runPlays(lab, removeNodes, ['-e', '{kubeadm_remove: {nodes: [cp2]}}']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('ok: [cp2] cp2 is not in the cluster');
  });

  it('a worker: drained, reset, deleted (no etcd member)', async () => {
    const { code, out } = await runPlays(lab, removeNodes, ['-e', '{kubeadm_remove: {nodes: [w1]}}']);
    expect(code, out).toBe(0);
    expect(out).not.toContain('remove-etcd-member');
    expect((await upgradeTimeline()).slice(-1)).toEqual(['w1 reset -f exit=0']);
    expect((await shResult(cp1, `test -e ${STANDIN_STORE}/nodes/w1.json`)).exitCode).toBe(1);
  });
});

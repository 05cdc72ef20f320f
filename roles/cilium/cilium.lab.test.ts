import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play, type RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { fakeCiliumChart } from '../../test/standins/helm/fake-charts.js';
import { addFakeChart, HELM_STANDIN_LOG, HELM_STANDIN_SCRIPT, HELM_STANDIN_STORE, helmInvocations, storedRelease } from '../../test/standins/helm/index.js';
import { installKubectlStandin, invocations, storedObject, storeFingerprint } from '../../test/standins/kubectl/index.js';
import { shOn } from '../../test/support/lab-shell.js';
import { expectNoChanges, runPlays } from '../haproxy/lab-support.js';
import { cilium } from './index.js';
import { ciliumValues } from './model.js';
import type { CiliumVars } from './vars.js';

/**
 * The cilium role on two lab hosts (cp1 control plane, w1 worker) with the
 * helm and kubectl STAND-INS (test/standins: not helm, not kubectl, no
 * cluster): helm comes from a FAKE release tarball copied from the
 * controller (its sha256 checked), the FAKE cilium chart 1.18.2 creates the
 * CRDs and ds/cilium + deploy/cilium-operator through the kubectl stand-in.
 * Proves the order (helm binary → helm upgrade --install with the rendered
 * values → rollout waits → LoadBalancer CRs), that everything happens on cp1
 * only, idempotence, and what check mode shows with and without helm-diff.
 */
let lab: Lab;
let cp1: LabHost;
let w1: LabHost;
let fixtures: string;
let tarball: string;
let tarballSha: string;

const baseVars = () => ({
  cluster: { pod_subnet: '10.244.0.0/16', service_subnet: '10.96.0.0/12', control_plane_endpoint: '10.10.0.10:6443', cni: 'cilium' },
  helm: { tarball_file: tarball, sha256: tarballSha, arch: 'amd64' },
  cilium: { routing: { mode: 'native' }, hubble: { enabled: true, relay: true }, load_balancer: { pools: [{ name: 'vmnet2', addresses: '10.10.0.200/29' }], l2_interfaces: ['^eth0$'] } },
});

async function setVars(all: Record<string, unknown>): Promise<void> {
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.vars = all;
  await writeFile(lab.inventoryPath, stringify(inventory));
}

const plays = () => [play({ name: 'cluster networking', hosts: 'all', roles: [cilium] })];
const run = (flags: string[] = []) => runPlays(lab, plays(), flags);

async function renderedValues(): Promise<Record<string, unknown>> {
  const inventory = await loadInventory([lab.inventoryPath]);
  const host = inventory.hosts.get('cp1')!;
  return ciliumValues(resolveRoleVars(cilium as RoleUse, host, inventory) as CiliumVars, host, inventory);
}

async function state(h: LabHost): Promise<string> {
  return (await storeFingerprint(h)) + (await shOn(h, `(cat ${HELM_STANDIN_STORE}/releases/*/*.json; ls -l /usr/local/bin/helm) 2>/dev/null | sha256sum`));
}

beforeAll(async () => {
  lab = await startLab({
    name: `cilium-${process.pid}`,
    hosts: [
      { name: 'cp1', groups: ['control_plane'] },
      { name: 'w1', groups: ['workers'] },
    ],
  });
  [cp1, w1] = [lab.host('cp1'), lab.host('w1')];
  await Promise.all([cp1, w1].map(installKubectlStandin));
  // a FAKE helm release tarball: linux-amd64/helm is the helm stand-in
  fixtures = mkdtempSync(join(tmpdir(), 'lw-cilium-'));
  mkdirSync(join(fixtures, 'linux-amd64'));
  writeFileSync(join(fixtures, 'linux-amd64/helm'), readFileSync(HELM_STANDIN_SCRIPT), { mode: 0o755 });
  tarball = join(fixtures, 'helm-v3.17.3-linux-amd64.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', fixtures, 'linux-amd64/helm']);
  tarballSha = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  await Promise.all([cp1, w1].map((h) => shOn(h, `rm -rf ${HELM_STANDIN_STORE} ${HELM_STANDIN_LOG} /usr/local/bin/helm`)));
  await addFakeChart(cp1, 'cilium', '1.18.2', fakeCiliumChart());
  await setVars(baseVars());
}, 600_000);

afterAll(async () => {
  await lab?.stop();
  if (fixtures) rmSync(fixtures, { recursive: true, force: true });
});

describe('cilium on a lab control plane with the helm and kubectl stand-ins', () => {
  it('refuses a helm tarball whose sha256 differs, before touching any host', async () => {
    await setVars({ ...baseVars(), helm: { ...baseVars().helm, sha256: '0'.repeat(64) } });
    const before = await state(cp1);
    const { code, out } = await run();
    expect(code, out).toBe(2);
    expect(out).toContain(`helm tarball ${tarball}: sha256 is ${tarballSha}, expected ${'0'.repeat(64)}: refusing to install it`);
    expect(await state(cp1)).toBe(before);
    await setVars(baseVars());
  }, 600_000);

  it('--check changes nothing and says the release cannot be read before helm is installed', async () => {
    const before = await Promise.all([cp1, w1].map(state));
    const { code, out } = await run(['--check']);
    expect(code, out).toBe(0);
    expect(out).toContain('install helm v3.17.3 at /usr/local/bin/helm');
    expect(out).toMatch(/helm upgrade --install kube-system\/cilium \(chart cilium 1\.18\.2\); cannot read the release yet: helm is not installed/);
    expect(await Promise.all([cp1, w1].map(state))).toEqual(before);
  }, 600_000);

  it('installs helm, then the pinned chart with the rendered values, waits for the rollouts, then applies the pool and L2 policy — on cp1 only', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect((await shOn(cp1, '/usr/local/bin/helm version --template "{{.Version}}"')).trim()).toBe('v3.17.3');
    const helmCalls = await helmInvocations(cp1);
    const upgrades = helmCalls.filter((c) => c.verb === 'upgrade');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0].argv.slice(0, 8)).toEqual(['upgrade', '--install', 'cilium', 'cilium', '--repo', 'https://helm.cilium.io/', '--version', '1.18.2']);
    expect(JSON.parse(upgrades[0].values!)).toEqual(await renderedValues());
    expect(await storedRelease(cp1, 'kube-system', 'cilium')).toMatchObject({ chart: 'cilium-1.18.2', status: 'deployed', revision: '1' });
    // kubectl: the chart's objects (applied by helm), then the rollout waits, then the role's CRs
    const flow = (await invocations(cp1))
      .filter((c) => c.verb === 'apply' || (c.verb === 'rollout' && !c.argv.includes('--watch=false')))
      .map((c) => (c.verb === 'rollout' ? `rollout ${c.argv[c.argv.indexOf('status') + 1]}` : c.argv.includes('--field-manager=helm') ? 'helm: chart objects' : `apply ${c.objects.join(',')}`));
    expect(flow).toEqual([
      'helm: chart objects',
      'rollout daemonset/cilium',
      'rollout deployment/cilium-operator',
      'apply ciliumloadbalancerippool.cilium.io/vmnet2',
      'apply ciliuml2announcementpolicy.cilium.io/labwright-l2',
    ]);
    expect(await storedObject(cp1, { group: 'cilium.io', kind: 'CiliumL2AnnouncementPolicy', name: 'labwright-l2' })).toContain("- ^eth0$");
    expect(await helmInvocations(w1)).toEqual([]);
    expect(await invocations(w1)).toEqual([]);
  }, 600_000);

  it('a second run changes nothing: no helm upgrade, no apply', async () => {
    const before = (await helmInvocations(cp1)).length;
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expectNoChanges(out, ['cp1', 'w1']);
    const calls = (await helmInvocations(cp1)).slice(before);
    expect(calls.map((c) => c.verb)).not.toContain('upgrade');
    expect(calls.map((c) => c.verb)).toContain('list');
  }, 600_000);

  it('--check of changed values: helm diff\'s objects with the plugin, "not predictable" without; nothing changes', async () => {
    await setVars({ ...baseVars(), cilium: { ...baseVars().cilium, hubble: { enabled: false } } });
    const before = await state(cp1);
    let { code, out } = await run(['--check', '--diff']);
    expect(code, out).toBe(0);
    expect(out).toContain('release kube-system/cilium: values differ (effect on the cluster\'s objects: not predictable without the helm-diff plugin)');
    expect(out).toMatch(/-\s+relay:/);
    await shOn(cp1, `mkdir -p ${HELM_STANDIN_STORE}/plugins/diff`);
    ({ code, out } = await run(['--check']));
    expect(code, out).toBe(0);
    expect(out).toContain('helm diff: kube-system, cilium, DaemonSet (apps) has changed');
    expect(await state(cp1)).toBe(before);
    ({ code, out } = await run());
    expect(code, out).toBe(0);
    expect(await storedRelease(cp1, 'kube-system', 'cilium')).toMatchObject({ revision: '2', values: await renderedValues() });
  }, 600_000);
});

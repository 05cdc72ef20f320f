import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play, type RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { objectYaml, type K8sObject } from '../../src/ops/kubectl.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { fakeCalicoManifest, fakeMetallbNative, fakeTigeraOperator } from '../../test/standins/kubectl/fake-manifests.js';
import { installKubectlStandin, invocations, storedObject, storeFingerprint, STANDIN_STORE, writes, type Invocation } from '../../test/standins/kubectl/index.js';
import { expectNoChanges, runPlays } from '../haproxy/lab-support.js';
import { metallb } from '../metallb/index.js';
import { metallbResources } from '../metallb/model.js';
import type { MetallbVars } from '../metallb/vars.js';
import { calico } from './index.js';
import { calicoNodePatch } from './manifest-mode.js';
import { nodeAddressAutodetection, calicoModel, calicoResources } from './model.js';
import type { CalicoVars } from './vars.js';
import { serveHttpsFiles } from '../../test/support/https-files.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * Both roles on two lab hosts (cp1 control plane, w1 worker) with the kubectl
 * STAND-IN (test/standins/kubectl: not kubectl, no cluster) and a fake
 * admin.conf on both: every kubectl call must happen on cp1, in order, and
 * store exactly what the roles rendered. The Calico manifest is a FAKE copied
 * from the controller (manifest_file); the MetalLB one is a FAKE fetched by
 * curl on cp1 from an HTTPS server on cp1's own loopback (manifest_url +
 * sha256; manifests are fetched over https only: its throwaway certificate is
 * added to cp1's trust store). Values from seed 001 (AS numbers, router, pool) appear only in
 * the rendered objects: nothing sends packets to them.
 */
let lab: Lab;
let cp1: LabHost;
let w1: LabHost;
let fixtures: string;
const figures: string[] = [];

const FAKE_METALLB = fakeMetallbNative();
const vars = {
  cluster: { pod_subnet: '10.244.0.0/16', service_subnet: '10.96.0.0/12' },
  calico: {
    bgp_configuration: { as_number: 64501 },
    bgp_peers: [{ name: 'tor', peer_ip: '10.4.0.254', as_number: 64502 }],
  },
  metallb: {
    manifest_url: 'https://127.0.0.1:8099/metallb-native.yaml',
    manifest_sha256: createHash('sha256').update(FAKE_METALLB).digest('hex'),
    pools: [{ name: 'goldentooth', addresses: '10.4.11.0 - 10.4.15.254' }],
    bgp_peers: [{ name: 'router', my_asn: 64501, peer_asn: 64500, peer_address: '10.4.0.1' }],
  },
};

async function setVars(all: Record<string, unknown>): Promise<void> {
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.vars = all;
  await writeFile(lab.inventoryPath, stringify(inventory));
}

const both = (params: { calico?: Record<string, unknown> } = {}) => [
  play({ name: 'cluster add-ons', hosts: 'all', roles: [params.calico ? calico.with(params.calico) : calico, metallb] }),
];
const run = (flags: string[] = []) => runPlays(lab, both(), flags);

/** What the roles render for cp1 from the lab's inventory, through the real loader. */
async function rendered(): Promise<K8sObject[]> {
  const inventory = await loadInventory([lab.inventoryPath]);
  const host = inventory.hosts.get('cp1')!;
  const c = resolveRoleVars(calico as RoleUse, host, inventory) as CalicoVars;
  const m = resolveRoleVars(metallb as RoleUse, host, inventory) as MetallbVars;
  // the lab containers' LAN interface (the one holding cp1's address) is eth0: the L2Advertisement is limited to it
  return [...calicoResources(c, calicoModel(c, host)), ...metallbResources(m, ['eth0'])];
}

const groupOf = (o: K8sObject) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : 'core');

/** The calls that change or await something, compactly: "apply <object or file>", "wait <target>". */
function flow(calls: Invocation[]): string[] {
  return calls.flatMap((c) => {
    if (c.verb === 'apply' || c.verb === 'create') {
      if (c.argv.includes('-k')) return [`${c.verb} -k ${c.argv[c.argv.indexOf('-k') + 1]}`];
      const f = c.argv[c.argv.indexOf('-f') + 1];
      return [`${c.verb} ${f === '-' ? c.objects.join(',') : f.split('/').at(-1)!.replace(/-[0-9a-f]{8}\.yaml$/, '.yaml')}`];
    }
    if (c.verb === 'wait' && !c.argv.includes('--timeout=0s')) return [`wait ${c.objects.join(',')}`];
    return [];
  });
}

beforeAll(async () => {
  lab = await startLab({
    name: `calico-metallb-${process.pid}`,
    hosts: [
      { name: 'cp1', groups: ['control_plane'] },
      { name: 'w1', groups: ['workers'] },
    ],
  });
  [cp1, w1] = [lab.host('cp1'), lab.host('w1')];
  // the stand-in and a fake admin.conf on BOTH hosts: w1 could run kubectl, and must not
  await Promise.all([cp1, w1].map(installKubectlStandin));
  fixtures = mkdtempSync(join(tmpdir(), 'lw-calico-metallb-'));
  writeFileSync(join(fixtures, 'tigera-operator.yaml'), fakeTigeraOperator());
  writeFileSync(join(fixtures, 'calico.yaml'), fakeCalicoManifest());
  await serveHttpsFiles(cp1, 8099, { 'metallb-native.yaml': FAKE_METALLB });
  await setVars({ ...vars, calico: { ...vars.calico, manifest_file: join(fixtures, 'tigera-operator.yaml') } });
});

afterAll(async () => {
  if (figures.length > 0) console.log(`calico + metallb figures:\n  ${figures.join('\n  ')}`);
  await lab?.stop();
  if (fixtures) rmSync(fixtures, { recursive: true, force: true });
});

async function state(h: LabHost): Promise<string> {
  return (await storeFingerprint(h)) + (await shOn(h, 'find /etc /var/lib/labwright -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum'));
}

describe('calico + metallb on a lab control plane with the kubectl stand-in', () => {
  it('--check changes nothing, calls kubectl read-only on cp1 only, and shows the resources it would apply', async () => {
    const before = await Promise.all([cp1, w1].map(state));
    const { code, out } = await run(['--check', '--diff']);
    expect(code, out).toBe(0);
    // the Installation: its kind is not known before the operator's CRDs, so the plan says it cannot be diffed yet
    expect(out).toContain('server-side apply Installation default (new); cannot diff yet: error: resource mapping not found');
    expect(out).toMatch(/\+\s+cidr: 10\.244\.0\.0\/16/);
    expect(out).toMatch(/\+\s+encapsulation: IPIP/);
    expect(out).toMatch(/\+\s+- 10\.4\.11\.0-10\.4\.15\.254/);
    expect(out).toContain('wait up to 600s for the Installation CRD of the Tigera operator');
    expect(out).toContain('wait up to 300s for the MetalLB controller');
    expect(await Promise.all([cp1, w1].map(state))).toEqual(before);
    const calls = await invocations(cp1);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !['diff', 'get', 'wait'].includes(c.verb!) || (c.verb === 'wait' && !c.argv.includes('--timeout=0s')))).toEqual([]);
    expect(await invocations(w1)).toEqual([]);
  });

  it('applies: manifests before resources, waits before custom resources, on cp1 only; stores exactly what was rendered', async () => {
    const start = (await invocations(cp1)).length;
    const t0 = Date.now();
    const { code, out } = await run();
    figures.push(`first apply (both roles, stand-in kubectl): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(code, out).toBe(0);
    const calls = (await invocations(cp1)).slice(start);
    expect(flow(calls)).toEqual([
      'apply tigera-operator-v3.29.3.yaml',
      'wait crd/installations.operator.tigera.io',
      'apply installation.operator.tigera.io/default',
      'apply apiserver.operator.tigera.io/default',
      'wait tigerastatus/calico',
      'apply bgpconfiguration.crd.projectcalico.org/default',
      'apply bgppeer.crd.projectcalico.org/tor',
      'apply metallb-native-v0.14.9.yaml',
      'wait pod -l app=metallb,component=controller -n metallb-system',
      'apply ipaddresspool.metallb.io/goldentooth',
      'apply bgppeer.metallb.io/router',
      'apply bgpadvertisement.metallb.io/labwright-bgp',
    ]);
    // every call used the control plane's admin.conf
    expect(calls.every((c) => c.argv[0] === '--kubeconfig' && c.argv[1] === '/etc/kubernetes/admin.conf')).toBe(true);
    expect(await invocations(w1)).toEqual([]);
    for (const o of await rendered()) {
      expect(await storedObject(cp1, { group: groupOf(o), kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), `${o.kind} ${o.metadata.name}`).toBe(objectYaml(o));
    }
    // the fetched manifest is the one served, under a versioned name
    expect(await shOn(cp1, 'cat /var/lib/labwright/metallb/metallb-native-v0.14.9-*.yaml')).toBe(FAKE_METALLB);
    expect(out).toMatch(/w1\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=0\s+skipped=\d+/);
  });

  it('a second apply changes nothing and applies nothing', async () => {
    const start = (await invocations(cp1)).length;
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expectNoChanges(out, ['cp1', 'w1']);
    const calls = (await invocations(cp1)).slice(start);
    expect(writes(calls)).toEqual([]);
    expect(flow(calls)).toEqual([]);
    figures.push(`second apply: ${calls.length} read-only kubectl calls on cp1 (diff/get/check-once wait), 0 writes`);
  });

  it('a pool change: --check shows the diff and changes nothing; the apply is exactly one server-side apply', async () => {
    await setVars({ ...vars, calico: { ...vars.calico, manifest_file: join(fixtures, 'tigera-operator.yaml') }, metallb: { ...vars.metallb, pools: [{ name: 'goldentooth', addresses: '10.4.11.0 - 10.4.12.255' }] } });
    const before = await state(cp1);
    let start = (await invocations(cp1)).length;
    const check = await run(['--check', '--diff']);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain('server-side apply IPAddressPool metallb-system/goldentooth');
    expect(check.out).toMatch(/-\s+- 10\.4\.11\.0-10\.4\.15\.254\n\+\s+- 10\.4\.11\.0-10\.4\.12\.255/);
    expect(await state(cp1)).toBe(before);
    expect(writes((await invocations(cp1)).slice(start))).toEqual([]);

    start = (await invocations(cp1)).length;
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect(out).toMatch(/cp1\s+: ok=\d+\s+changed=1\s/);
    expect(flow((await invocations(cp1)).slice(start))).toEqual(['apply ipaddresspool.metallb.io/goldentooth']);
    expect(await storedObject(cp1, { group: 'metallb.io', kind: 'IPAddressPool', namespace: 'metallb-system', name: 'goldentooth' })).toContain('- 10.4.11.0-10.4.12.255\n');
  });

  it('refuses a pool overlapping the service network before any kubectl call', async () => {
    await setVars({ ...vars, metallb: { ...vars.metallb, pools: [{ name: 'goldentooth', addresses: '10.96.0.0/24' }] } });
    const start = (await invocations(cp1)).length;
    const { code, out } = await run();
    expect(code).toBe(4);
    expect(out).toContain('load balancer pool 10.96.0.0/24 (metallb) overlaps the service network (kubernetes) 10.96.0.0/12');
    expect((await invocations(cp1)).length).toBe(start);
  });

  it('a controller that never becomes ready: the bounded wait fails with what, where to look, and stops the play', async () => {
    await setVars({ ...vars, calico: { ...vars.calico, manifest_file: join(fixtures, 'tigera-operator.yaml') } });
    await shOn(cp1, `rm -f ${STANDIN_STORE}/ready.json && touch ${STANDIN_STORE}/never-ready`);
    const start = (await invocations(cp1)).length;
    const t0 = Date.now();
    const { code, out } = await runPlays(lab, both({ calico: { wait_timeout: 10 } }));
    figures.push(`never-ready wait with wait_timeout 10 s failed after ${((Date.now() - t0) / 1000).toFixed(1)} s (whole run)`);
    expect(code, out).toBe(2);
    expect(out).toContain('timed out after 10s waiting for the Installation CRD of the Tigera operator (crd/installations.operator.tigera.io: condition Established)');
    expect(out).toContain('look at: kubectl get crd installations.operator.tigera.io');
    // nothing after the failed wait ran on cp1
    expect(writes((await invocations(cp1)).slice(start))).toEqual([]);
    await shOn(cp1, `rm -f ${STANDIN_STORE}/never-ready`);
  });
});

describe('calico manifest mode (calico.yaml + kustomization) with the kubectl stand-in', () => {
  const manifestVars = (podSubnet: string) => ({
    ...vars,
    cluster: { ...vars.cluster, pod_subnet: podSubnet },
    calico: { mode: 'manifest', manifest_file: join(fixtures, 'calico.yaml'), ip_pools: [{ encapsulation: 'VXLANCrossSubnet' }], bgp_peers: vars.calico.bgp_peers },
  });
  const cni = (flags: string[] = []) => runPlays(lab, [play({ name: 'cni', hosts: 'all', roles: [calico] })], flags);

  beforeAll(async () => {
    await shOn(cp1, `rm -rf ${STANDIN_STORE} /var/log/kubectl-standin.log /var/lib/labwright/calico`);
    await setVars(manifestVars('10.244.0.0/16'));
  });

  it('applies calico.yaml through the kustomization, waits for calico-node, then keeps the pool as an IPPool; idempotent', async () => {
    const { code, out } = await cni();
    expect(code, out).toBe(0);
    expect(flow(await invocations(cp1))).toEqual([
      'apply -k /var/lib/labwright/calico',
      'wait pod -l k8s-app=calico-node -n kube-system',
      'apply ippool.crd.projectcalico.org/default-ipv4-ippool',
      'apply bgppeer.crd.projectcalico.org/tor',
    ]);
    expect(await invocations(w1)).toEqual([]);
    const inventory = await loadInventory([lab.inventoryPath]);
    const host = inventory.hosts.get('cp1')!;
    const c = resolveRoleVars(calico as RoleUse, host, inventory) as CalicoVars;
    const model = calicoModel(c, host);
    // the patch kubectl got is the rendered one: calico-node's pool variables for the first pool
    expect(await shOn(cp1, `cat ${STANDIN_STORE}/kustomize-patches/calico-node-ipv4pool.yaml`)).toBe(objectYaml(calicoNodePatch(model.pools[0], nodeAddressAutodetection(c))));
    expect(await shOn(cp1, `cat ${STANDIN_STORE}/kustomize-patches/calico-node-ipv4pool.yaml`)).toContain('value: CrossSubnet');
    expect(await storedObject(cp1, { group: 'crd.projectcalico.org', kind: 'IPPool', name: 'default-ipv4-ippool' })).toBe(objectYaml(model.ipPools[0]));
    expect(await storedObject(cp1, { group: 'apps', kind: 'DaemonSet', namespace: 'kube-system', name: 'calico-node' })).toBeDefined();

    const start = (await invocations(cp1)).length;
    const again = await cni();
    expect(again.code, again.out).toBe(0);
    expectNoChanges(again.out, ['cp1', 'w1']);
    expect(writes((await invocations(cp1)).slice(start))).toEqual([]);
  });

  it('refuses to move the pool to another CIDR, in --check and apply, before anything is written', async () => {
    await setVars(manifestVars('10.245.0.0/16'));
    const before = await state(cp1);
    const start = (await invocations(cp1)).length;
    for (const flags of [['--check'], []]) {
      const { code, out } = await cni(flags);
      expect(code, out).toBe(2);
      expect(out).toContain('IPPool default-ipv4-ippool: its CIDR is 10.244.0.0/16, the vars say 10.245.0.0/16: changing a pool\'s CIDR under running pods breaks their addresses');
    }
    expect(await state(cp1)).toBe(before);
    expect(writes((await invocations(cp1)).slice(start))).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play } from '../../src/engine/definitions.js';
import { groupOf, installOrder, labelled, OWNER_LABEL } from '../../src/ops/kube-objects.js';
import { objectYaml, type K8sObject } from '../../src/ops/kubectl.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { installKubectlStandin, invocations, storedObject, storeFingerprint, STANDIN_STORE, writes, type Invocation } from '../../test/standins/kubectl/index.js';
import { serveHttpsFiles } from '../../test/support/https-files.js';
import { shOn } from '../../test/support/lab-shell.js';
import { expectNoChanges, runPlays } from '../haproxy/lab-support.js';
import { manifests } from './index.js';

/**
 * The manifests role on two lab hosts (cp1 control plane, w1 worker) with the
 * kubectl STAND-IN (test/standins/kubectl: not kubectl, no cluster) and a
 * fake admin.conf on both: kubectl must run only on cp1. The release is seed
 * 002's monitoring stack, cut down: a directory of manifests on the
 * controller (namespace, Grafana Deployment, its admin Secret) and the three
 * NodePort Services written in the inventory.
 */
let lab: Lab;
let cp1: LabHost;
let w1: LabHost;
let fixtures: string;
const figures: string[] = [];
const PASSWORD = 'Gr4fana-admin-pw';

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } };
const grafana = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'grafana', namespace: 'monitoring' }, spec: { replicas: 1, selector: { matchLabels: { app: 'grafana' } }, template: { metadata: { labels: { app: 'grafana' } }, spec: { containers: [{ name: 'grafana', image: 'grafana/grafana:11.4.0' }] } } } };
const admin = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grafana-admin', namespace: 'monitoring' }, stringData: { password: PASSWORD } };
const nodePort = (name: string, port: number, node: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'monitoring' }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port, nodePort: node }] } });
const services = [nodePort('grafana', 3000, 30300), nodePort('prometheus', 9090, 30090), nodePort('loki', 3100, 31100)];

const release = (over: { services?: object[]; prune?: boolean; wait_timeout?: number } = {}) => ({
  manifests: {
    ...(over.wait_timeout ? { wait_timeout: over.wait_timeout } : {}),
    releases: [{ name: 'monitoring', prune: over.prune ?? true, sources: [{ file: join(fixtures, 'monitoring') }, { objects: over.services ?? services }], wait: [{ rollout: 'deployment/grafana', namespace: 'monitoring' }] }],
  },
});

async function setVars(all: Record<string, unknown>): Promise<void> {
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.vars = all;
  await writeFile(lab.inventoryPath, stringify(inventory));
}

const run = (flags: string[] = []) => runPlays(lab, [play({ name: 'workloads', hosts: 'all', roles: [manifests] })], flags);
const since = async (start: number) => (await invocations(cp1)).slice(start);
const count = async () => (await invocations(cp1)).length;

/** The calls that change or await something: "apply <objects>", "delete <object>", "rollout <object>". */
function flow(calls: Invocation[]): string[] {
  return calls.flatMap((c) => {
    if (c.verb === 'apply' || c.verb === 'delete') return [`${c.verb} ${c.objects.join(',')}`];
    if (c.verb === 'rollout' && !c.argv.includes('--watch=false')) return [`rollout ${c.objects.join(',')}`];
    return [];
  });
}

/** The stand-in's stored text of an object (it files the core group as `core`). */
const stored = (o: K8sObject) => storedObject(cp1, { group: groupOf(o) || 'core', kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });

beforeAll(async () => {
  lab = await startLab({ name: `manifests-${process.pid}`, hosts: [{ name: 'cp1', groups: ['control_plane'] }, { name: 'w1', groups: ['workers'] }] });
  [cp1, w1] = [lab.host('cp1'), lab.host('w1')];
  await Promise.all([cp1, w1].map(installKubectlStandin));
  fixtures = mkdtempSync(join(tmpdir(), 'lw-manifests-lab-'));
  const dir = join(fixtures, 'monitoring');
  mkdirSync(dir);
  writeFileSync(join(dir, '00-namespace.yaml'), `# the namespace\n---\n${objectYaml(ns)}`);
  writeFileSync(join(dir, '10-grafana.yaml'), `${objectYaml(grafana)}---\n${objectYaml(admin)}---\n`);
  await setVars(release());
});

afterAll(async () => {
  if (figures.length > 0) console.log(`manifests figures:\n  ${figures.join('\n  ')}`);
  await lab?.stop();
  if (fixtures) rmSync(fixtures, { recursive: true, force: true });
});

// each test runs the CLI once to three times against the lab: generous bounds for a loaded CI machine
describe('manifests on a lab control plane with the kubectl stand-in', { timeout: 300_000 }, () => {
  it('--check changes nothing, reads only, shows each object\'s diff with the Secret\'s value masked', async () => {
    const before = await storeFingerprint(cp1);
    const { code, out } = await run(['--check', '--diff']);
    expect(code, out).toBe(0);
    expect(out).toContain('server-side apply Service monitoring/loki (new)');
    expect(out).toMatch(/\+\s+nodePort: 30300/);
    expect(out).toContain('server-side apply Secret monitoring/grafana-admin (new)');
    expect(out).toMatch(/\+\s+password: <masked>/);
    expect(out).not.toContain(PASSWORD);
    expect(out).toContain('wait up to 300s for the rollout of deployment/grafana in monitoring');
    expect(await storeFingerprint(cp1)).toBe(before);
    const calls = await invocations(cp1);
    expect(calls.length).toBeGreaterThan(0);
    expect(writes(calls)).toEqual([]);
    expect(calls.every((c) => !c.argv.some((a) => a.includes(PASSWORD) || a.includes('nodePort')))).toBe(true);
    expect(await invocations(w1)).toEqual([]);
  });

  it('applies every object in one server-side apply, labelled, in install order; waits for the rollout; on cp1 only', async () => {
    const start = await count();
    const { code, out } = await run();
    expect(code, out).toBe(0);
    const calls = await since(start);
    expect(flow(calls)).toEqual([
      'apply namespace/monitoring,deployment.apps/grafana,secret/grafana-admin,service/grafana,service/prometheus,service/loki',
      'rollout deployment.apps/grafana',
    ]);
    const apply = calls.find((c) => c.verb === 'apply')!;
    expect(apply.argv).toEqual(['--kubeconfig', '/etc/kubernetes/admin.conf', 'apply', '--server-side', '--force-conflicts', '--field-manager=labwright', '-f', '-']);
    for (const o of installOrder(labelled([ns, grafana, admin, ...services] as K8sObject[], 'monitoring'))) {
      const text = await stored(o);
      expect(text, `${o.kind} ${o.metadata.name}`).toBe(objectYaml(o));
      expect(text).toContain(`${OWNER_LABEL}: monitoring`);
    }
    expect(await shOn(cp1, 'cat /var/lib/labwright/manifests/monitoring/applied-types')).toBe('deployment.apps\nnamespace\nsecret\nservice\n');
    expect(out).not.toContain(PASSWORD);
    expect(await invocations(w1)).toEqual([]);
  });

  it('a second run changes nothing and writes nothing', async () => {
    const start = await count();
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expectNoChanges(out, ['cp1', 'w1']);
    const calls = await since(start);
    expect(writes(calls)).toEqual([]);
    figures.push(`second run: ${calls.length} read-only kubectl calls on cp1 (diff, get -l per type for prune, rollout --watch=false), 0 writes`);
  });

  it('a changed NodePort: --check shows its diff and writes nothing; the run applies it', async () => {
    await setVars(release({ services: [services[0], services[1], nodePort('loki', 3100, 31101)] }));
    let start = await count();
    const check = await run(['--check', '--diff']);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain('server-side apply Service monitoring/loki');
    expect(check.out).toMatch(/-\s+nodePort: 31100\n\+\s+nodePort: 31101/);
    expect(check.out).not.toContain('server-side apply Service monitoring/grafana');
    expect(writes(await since(start))).toEqual([]);
    start = await count();
    expect((await run()).code).toBe(0);
    expect(await stored(nodePort('loki', 3100, 31101) as K8sObject)).toContain('nodePort: 31101');
    expect(flow(await since(start))[0]).toMatch(/^apply /);
  });

  it('prune deletes only objects labelled with the release and no longer declared', async () => {
    // not ours: an unlabelled service and one labelled by another release, in the same namespace
    const theirs = [
      { ...nodePort('mine', 80, 30080), metadata: { name: 'mine', namespace: 'monitoring' } },
      { ...nodePort('other', 80, 30081), metadata: { name: 'other', namespace: 'monitoring', labels: { [OWNER_LABEL]: 'apps' } } },
    ];
    await shOn(cp1, `echo ${Buffer.from(theirs.map(objectYaml).join('---\n')).toString('base64')} | base64 -d | kubectl --kubeconfig /etc/kubernetes/admin.conf apply --server-side -f -`);
    await setVars(release({ services: [services[0], nodePort('loki', 3100, 31101)] }));
    const check = await run(['--check']);
    expect(check.out).toContain(`delete Service monitoring/prometheus (prune: labelled ${OWNER_LABEL}=monitoring, no longer declared)`);
    const start = await count();
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect(flow(await since(start))).toEqual(['delete service/prometheus']);
    expect(await stored(services[1] as K8sObject)).toBeUndefined();
    for (const o of [...theirs, services[0], grafana, admin, ns]) expect(await stored(o as K8sObject), (o as K8sObject).metadata.name).toBeDefined();
    // prune off: an undeclared object of the release stays
    await setVars(release({ services: [nodePort('loki', 3100, 31101)], prune: false }));
    expect((await run()).code).toBe(0);
    expect(await stored(services[0] as K8sObject)).toBeDefined();
  });

  it('a rollout that never completes: the bounded wait fails naming what, kubectl\'s answer and where to look', async () => {
    await setVars(release({ services: [services[0], nodePort('loki', 3100, 31101)], wait_timeout: 3 }));
    await shOn(cp1, `rm -f ${STANDIN_STORE}/ready.json && touch ${STANDIN_STORE}/never-ready`);
    const { code, out } = await run();
    expect(code, out).toBe(2);
    expect(out).toContain('deployment/grafana in monitoring did not finish rolling out within 3s; look at: kubectl -n monitoring describe deployment/grafana; kubectl -n monitoring get pods');
    expect(out).toContain('error: timed out waiting for the condition');
    await shOn(cp1, `rm -f ${STANDIN_STORE}/never-ready`);
  });
});

describe('a release from an https URL pinned by sha256 (seed 001-style Argo CD install.yaml, a FAKE one)', { timeout: 300_000 }, () => {
  const argoNs = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } };
  const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'applications.argoproj.io' }, spec: { group: 'argoproj.io', names: { kind: 'Application', plural: 'applications' }, scope: 'Namespaced' } };
  const server = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'argocd-server', namespace: 'argocd' }, spec: { replicas: 1 } };
  // as upstream writes it: the CRD before the namespace, a comment document
  const INSTALL = `# FAKE install.yaml for the manifests lab test (not Argo CD)\n---\n${[crd, argoNs, server].map(objectYaml).join('---\n')}`;
  const URL_ = 'https://127.0.0.1:8443/install.yaml';
  const sha = createHash('sha256').update(INSTALL).digest('hex');
  const argocd = (sha256 = sha) => ({ manifests: { releases: [{ name: 'argocd', prune: true, sources: [{ url: URL_, sha256 }], wait: [{ condition: 'Available', resource: 'deployment/argocd-server', namespace: 'argocd' }] }] } });

  beforeAll(async () => {
    await serveHttpsFiles(cp1, 8443, { 'install.yaml': INSTALL });
    await shOn(cp1, `rm -f ${STANDIN_STORE}/never-ready`);
  });

  it('a wrong sha256: the fetch fails on the host and nothing is applied', async () => {
    await setVars(argocd('0'.repeat(64)));
    const start = await count();
    const { code, out } = await run();
    expect(code, out).toBe(2);
    expect(out).toContain(`${URL_}: sha256 differs from ${'0'.repeat(64)}`);
    expect(writes(await since(start))).toEqual([]);
    expect(await shOn(cp1, 'ls /var/lib/labwright/manifests/argocd/ 2>/dev/null | grep -c yaml || true')).toBe('0\n');
  });

  it('--check says it cannot diff before the fetch', async () => {
    await setVars(argocd());
    const check = await run(['--check']);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain(`server-side apply release argocd: 0 object(s) known; ${URL_} not on the host yet (an earlier task fetches it): cannot diff`);
  });

  it('the run fetches, verifies, applies in install order, waits; a second run changes nothing', async () => {
    let start = await count();
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect(flow(await since(start))).toEqual(['apply namespace/argocd,customresourcedefinition.apiextensions.k8s.io/applications.argoproj.io,deployment.apps/argocd-server']);
    expect(await shOn(cp1, `cat /var/lib/labwright/manifests/argocd/source-1-${sha.slice(0, 12)}-*.yaml`)).toBe(INSTALL);
    for (const o of labelled([argoNs, crd, server] as K8sObject[], 'argocd')) expect(await stored(o)).toBe(objectYaml(o));
    expect((await since(start)).some((c) => c.verb === 'wait' && c.objects.join() === 'deployment/argocd-server -n argocd' && !c.argv.includes('--timeout=0s'))).toBe(true);
    start = await count();
    const again = await run();
    expect(again.code, again.out).toBe(0);
    expectNoChanges(again.out, ['cp1', 'w1']);
    expect(writes(await since(start))).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { installOrder, labelled, masked, OWNER_LABEL, parseObjects } from '../../src/ops/kube-objects.js';
import { hostText, kubectlApplyRelease, kubectlLabelled, type ReleaseArgs } from '../../src/ops/kubectl-release.js';
import { kubectlRollout, kubectlRolledOut, type RolloutArgs } from '../../src/ops/kubectl-rollout.js';
import { kubectlDiff, kubectlLive, manifestYaml, objectYaml, type K8sObject } from '../../src/ops/kubectl.js';
import { secret } from '../../src/secret.js';
import { site } from '../../playbooks/site.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { captureIo } from '../../test/support/io.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import type { RoleUse } from '../../src/engine/definitions.js';
import { loadInventory } from '../../src/inventory/index.js';
import { checkPlan } from '../../src/plan/check.js';
import type { Claim } from '../../src/plan/claims.js';
import { nodePortClaims } from './claims.js';
import { manifests } from './index.js';
import { controllerObjects, releaseSources } from './sources.js';
import { manifestsVars, type ManifestsVars } from './vars.js';

const KC = '/etc/kubernetes/admin.conf';
const RECORD = '/var/lib/labwright/manifests/monitoring/applied-types';
const tmp = mkdtempSync(join(tmpdir(), 'lw-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Seed 002's monitoring NodePorts (Grafana 30300, Prometheus 30090, Loki 31100). */
const nodePort = (name: string, port: number, nodePort: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'monitoring' },
  spec: { type: 'NodePort', selector: { app: name }, ports: [{ port, targetPort: port, nodePort }] },
});
const seed002 = [nodePort('grafana', 3000, 30300), nodePort('prometheus', 9090, 30090), nodePort('loki', 3100, 31100)];
const release = (over: Record<string, unknown> = {}) => ({ releases: [{ name: 'monitoring', sources: [{ objects: seed002 }], ...over }] });
const issues = (v: unknown) => {
  const r = manifestsVars.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('manifests vars', () => {
  it('takes seed 002\'s NodePort services, files, and https URLs pinned by sha256 (seed 001-style Argo CD install.yaml)', () => {
    const v = manifestsVars.parse({
      releases: [
        release().releases[0],
        { name: 'argocd', sources: [{ url: 'https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.2/manifests/install.yaml', sha256: 'a'.repeat(64) }], wait: [{ rollout: 'deployment/argocd-server', namespace: 'argocd' }] },
      ],
    });
    expect(v.releases.map((r) => [r.name, r.prune, r.wait.length])).toEqual([['monitoring', false, 0], ['argocd', false, 1]]);
    expect(v.wait_timeout).toBe(300);
  });

  it('refuses http URLs, URLs without sha256, unknown keys, nodePorts outside the range or taken twice, a release declared twice', () => {
    expect(issues({ releases: [{ name: 'a', sources: [{ url: 'http://example.com/x.yaml', sha256: 'a'.repeat(64) }] }] }).join()).toContain('https:// URL');
    expect(issues({ releases: [{ name: 'a', sources: [{ url: 'https://example.com/x.yaml' }] }] })).not.toEqual([]);
    expect(issues({ releases: [{ name: 'a', sources: [{ objects: seed002 }], prunes: true }] }).join()).toContain('prunes');
    expect(issues(release({ sources: [{ objects: [nodePort('x', 80, 8080)] }] }))).toEqual([
      "releases: release monitoring: Service monitoring/x: nodePort 8080 is outside the API server's node port range 30000-32767",
    ]);
    expect(issues({ releases: [release().releases[0], { name: 'apps', sources: [{ objects: [nodePort('jellyfin', 8096, 30300)] }] }] })).toEqual([
      'releases: release apps: Service monitoring/jellyfin: nodePort 30300 is already taken by release monitoring: Service monitoring/grafana',
    ]);
    const again = { name: 'monitoring', sources: [{ objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] }] };
    expect(issues({ releases: [release().releases[0], again] })).toEqual(['releases.1.name: release monitoring is declared twice']);
  });

  it('refuses hostile release, object and namespace names, naming the key', () => {
    for (const name of ['../etc', 'A', 'a;b', 'a b', '-a', 'x'.repeat(64)]) expect(issues(release({ name })).join(), name).toMatch(/^releases\.0\.name: a DNS label/);
    const hostile = [
      { ...seed002[0], metadata: { name: 'x; rm -rf /', namespace: 'monitoring' } },
      { ...seed002[0], metadata: { name: 'ok', namespace: '../kube-system' } },
      { ...seed002[0], kind: 'Service$(reboot)' },
      { kind: 'Service', metadata: { name: 'no-api-version' } },
    ];
    expect(hostile.map((o) => issues(release({ sources: [{ objects: [o] }] }))[0])).toEqual([
      'releases.0.sources.0.objects.0.metadata.name: a Kubernetes name (lower case letters, digits, "-", ".", ":"; at most 253)',
      'releases.0.sources.0.objects.0.metadata.namespace: a DNS label (lower case letters, digits and "-", at most 63)',
      'releases.0.sources.0.objects.0.kind: a Kind such as Service or Deployment',
      'releases.0.sources.0.objects.0.apiVersion: Invalid input: expected string, received undefined',
    ]);
  });
});

describe('manifests from YAML', () => {
  it('reads multi-document YAML: empty and comment-only documents skipped, List items flattened, objects in order', () => {
    const text = `# monitoring\n---\n${objectYaml(seed002[0])}---\n# nothing here\n---\napiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify(seed002[1])}\n  - ${JSON.stringify(seed002[2])}\n---\n`;
    expect(parseObjects(text, 'mon.yaml').map((o) => o.metadata.name)).toEqual(['grafana', 'prometheus', 'loki']);
  });

  it('names the file and document of a syntax error, a non-object, a hostile name', () => {
    expect(() => parseObjects(`${objectYaml(seed002[0])}---\nkind: [\n`, 'bad.yaml')).toThrow(/^bad\.yaml document 2: YAML error/);
    expect(() => parseObjects('just a string\n', 'str.yaml')).toThrow(/^str\.yaml document 1: not a Kubernetes object labwright can apply: \(document\)/);
    expect(() => parseObjects(objectYaml({ ...seed002[0], metadata: { name: '$(id)' } }), 'h.yaml')).toThrow(/^h\.yaml document 1: .*metadata\.name: a Kubernetes name/);
  });

  it('reads a directory\'s manifest files in name order (not other files, not subdirectories)', () => {
    const d = mkdtempSync(join(tmp, 'd-'));
    mkdtempSync(join(d, 'sub-'));
    writeFileSync(join(d, '20-loki.yml'), objectYaml(seed002[2]));
    writeFileSync(join(d, '10-grafana.yaml'), `${objectYaml(seed002[0])}---\n${objectYaml(seed002[1])}`);
    writeFileSync(join(d, 'README.md'), '# not a manifest');
    expect(controllerObjects(d).map((o) => o.metadata.name)).toEqual(['grafana', 'prometheus', 'loki']);
    expect(() => controllerObjects(join(tmp, 'missing.yaml'))).toThrow(/^manifests: cannot read .*missing\.yaml on the controller/);
  });

  it('labels every object with its release, keeps the user\'s labels, refuses another release\'s label; namespaces and CRDs first', () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'apps.argoproj.io' } };
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring', labels: { team: 'ops' } } };
    const objects = installOrder(labelled([seed002[0], crd, ns] as K8sObject[], 'monitoring'));
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'CustomResourceDefinition', 'Service']);
    for (const o of objects) expect(o.metadata.labels?.[OWNER_LABEL]).toBe('monitoring');
    expect(objects[0].metadata.labels?.team).toBe('ops');
    const theirs = { ...seed002[0], metadata: { ...seed002[0].metadata, labels: { [OWNER_LABEL]: 'other' } } } as K8sObject;
    expect(() => labelled([theirs], 'monitoring')).toThrow('Service monitoring/grafana: its label labwright.dev/managed-by=other says another release owns it');
  });

  it('masks a Secret\'s data and stringData values, marking the keys whose value changes', () => {
    const s = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grafana' }, data: { user: 'YWRtaW4=', pass: 'czNjcjN0' }, stringData: { token: 'tok3n-value' } };
    expect(masked(s)).toMatchObject({ data: { user: '<masked>', pass: '<masked>' }, stringData: { token: '<masked>' } });
    expect(masked(s, { ...s, data: { user: 'YWRtaW4=', pass: 'b2xk' } })).toMatchObject({ data: { user: '<masked>', pass: '<masked, changed>' } });
    expect(masked(seed002[0])).toBe(seed002[0]);
  });
});

describe('the release op', () => {
  const args = (sources: ReleaseArgs['sources'], prune = false): ReleaseArgs => ({ kubeconfig: KC, release: 'monitoring', sources, prune, record: RECORD });
  const want = (objects: K8sObject[]) => manifestYaml(installOrder(labelled(objects, 'monitoring')));
  const grafanaSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grafana-admin', namespace: 'monitoring' }, stringData: { password: 'Sup3r-s3cret-pw' } } as K8sObject;

  it('new objects: diffs of each (Secret values masked), applied server-side with the manifests on stdin, every object labelled, the types recorded', async () => {
    const objects = [...seed002, grafanaSecret] as K8sObject[];
    const yaml = want(objects);
    const ctx = new FixtureContext([
      [hostText(RECORD), undefined],
      [kubectlDiff(KC, { yaml }), { code: 1, output: 'diff -u -N /tmp/LIVE-1/v1.Service.monitoring.grafana /tmp/MERGED-1/v1.Service.monitoring.grafana' }],
      [kubectlLive(KC, yaml), ''],
    ]);
    const plan = await ctx.planAndApply(kubectlApplyRelease(args([{ objects }])));
    if (plan.kind !== 'change') throw new Error(`expected a change, got ${plan.kind}`);
    expect(plan.changes.map((c) => c.summary)).toEqual([
      'server-side apply Service monitoring/grafana (new)',
      'server-side apply Service monitoring/prometheus (new)',
      'server-side apply Service monitoring/loki (new)',
      'server-side apply Secret monitoring/grafana-admin (new)',
      `record the types of release monitoring in ${RECORD} (secret, service)`,
    ]);
    expect(plan.changes[2].diff).toMatchObject({ after: expect.stringContaining('nodePort: 31100') });
    expect(JSON.stringify(plan.changes)).not.toContain('Sup3r-s3cret-pw');
    expect(plan.changes[3].diff).toMatchObject({ before: null, after: expect.stringContaining('stringData:\n  password: <masked>\n') });
    const [apply, record] = ctx.commands;
    expect(apply.cmd.text).toBe(`kubectl --kubeconfig ${KC} apply --server-side --force-conflicts --field-manager=labwright -f -`);
    const applied = parseAllDocuments(apply.opts!.stdin as string).map((d) => d.toJS() as K8sObject);
    expect(applied.map((o) => o.metadata.labels?.[OWNER_LABEL])).toEqual(['monitoring', 'monitoring', 'monitoring', 'monitoring']);
    expect((applied[3] as unknown as { stringData: object }).stringData).toEqual({ password: 'Sup3r-s3cret-pw' });
    expect(record.cmd.text).toBe(`mkdir -p /var/lib/labwright/manifests/monitoring && cat > ${RECORD}`);
    expect(record.opts!.stdin).toBe('secret\nservice\n');
  });

  it('a changed Secret shows which keys change, never a value; an inventory !secret is masked too', async () => {
    const pw = secret('inv3ntory-secret');
    const objects = [{ ...grafanaSecret, stringData: undefined, data: { password: pw, user: 'YWRtaW4=' } }] as unknown as K8sObject[];
    const vars = manifestsVars.parse({ releases: [{ name: 'monitoring', sources: [{ objects }] }] });
    const { objects: revealedObjects } = releaseSources(vars, vars.releases[0])[0] as { objects: K8sObject[] };
    const yaml = want(revealedObjects);
    expect(yaml).toContain('password: inv3ntory-secret');
    const live = objectYaml({ ...revealedObjects[0], data: { password: 'b2xkLXB3', user: 'YWRtaW4=' }, metadata: { ...revealedObjects[0].metadata, uid: 'u1' } });
    const ctx = new FixtureContext([
      [hostText(RECORD), 'secret\n'],
      [kubectlDiff(KC, { yaml }), { code: 1, output: 'diff …' }],
      [kubectlLive(KC, yaml), live],
    ]);
    const plan = await kubectlApplyRelease(args([{ objects: revealedObjects }])).plan(ctx);
    if (plan.kind !== 'change') throw new Error(plan.kind);
    const text = JSON.stringify(plan.changes);
    for (const value of ['inv3ntory-secret', 'b2xkLXB3', 'YWRtaW4=']) expect(text).not.toContain(value);
    expect(plan.changes.map((c) => c.summary)).toEqual(['server-side apply Secret monitoring/grafana-admin']);
    expect(plan.changes[0].diff).toMatchObject({
      before: expect.stringContaining('data:\n  password: <masked>\n  user: <masked>\n'),
      after: expect.stringContaining('data:\n  password: <masked, changed>\n  user: <masked>\n'),
    });
  });

  it('no differences and the record up to date: ok, nothing run', async () => {
    const yaml = want(seed002 as K8sObject[]);
    const ctx = new FixtureContext([[hostText(RECORD), 'service\n'], [kubectlDiff(KC, { yaml }), { code: 0, output: '' }]]);
    expect(await ctx.planAndApply(kubectlApplyRelease(args([{ objects: seed002 as K8sObject[] }])))).toMatchObject({ kind: 'ok', reason: 'release monitoring: 3 object(s), no differences (kubectl diff --server-side)' });
    expect(ctx.commands).toEqual([]);
  });

  it('prune: looks in the recorded and declared types, deletes only labelled objects no longer declared (namespaced first), never another release\'s', async () => {
    const objects = [seed002[0]] as K8sObject[];
    const yaml = want(objects);
    const sel = `${OWNER_LABEL}=monitoring`;
    const own = (o: object, release = 'monitoring') => ({ ...o, metadata: { ...(o as K8sObject).metadata, labels: { [OWNER_LABEL]: release } } });
    const ns = own({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old-monitoring' } });
    const cm = own({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loki-config', namespace: 'monitoring' } });
    const ctx = new FixtureContext([
      [hostText(RECORD), 'configmap\nnamespace\nservice\nrole.rbac.authorization.k8s.io\n'],
      [kubectlDiff(KC, { yaml }), { code: 0, output: '' }],
      [kubectlLabelled(KC, 'configmap', sel), { objects: [cm] }],
      [kubectlLabelled(KC, 'namespace', sel), { objects: [ns] }],
      // grafana is declared; prometheus carries another release's value (a selector would not list it: checked again anyway); loki is ours
      [kubectlLabelled(KC, 'service', sel), { objects: [own(seed002[0]), own(seed002[1], 'other'), own(seed002[2])] }],
      [kubectlLabelled(KC, 'role.rbac.authorization.k8s.io', sel), { objects: [], error: 'error: the server doesn\'t have a resource type "role"' }],
    ]);
    const plan = await ctx.planAndApply(kubectlApplyRelease(args([{ objects }], true)));
    expect(plan.kind).toBe('change');
    expect(ctx.shown).toEqual([
      `kubectl --kubeconfig ${KC} delete configmap loki-config -n monitoring --ignore-not-found --wait=false`,
      `kubectl --kubeconfig ${KC} delete service loki -n monitoring --ignore-not-found --wait=false`,
      `kubectl --kubeconfig ${KC} delete namespace old-monitoring --ignore-not-found --wait=false`,
      `mkdir -p /var/lib/labwright/manifests/monitoring && cat > ${RECORD}`,
    ]);
  });

  it('sources: [] with prune removes the release: no diff, no apply, every labelled object of the recorded types deleted', async () => {
    const sel = `${OWNER_LABEL}=monitoring`;
    const own = { ...seed002[2], metadata: { ...seed002[2].metadata, labels: { [OWNER_LABEL]: 'monitoring' } } };
    const ctx = new FixtureContext([
      [hostText(RECORD), 'service\n'],
      [kubectlLabelled(KC, 'service', sel), { objects: [own] }],
    ]);
    await ctx.planAndApply(kubectlApplyRelease(args([], true)));
    expect(ctx.shown).toEqual([
      `kubectl --kubeconfig ${KC} delete service loki -n monitoring --ignore-not-found --wait=false`,
      `mkdir -p /var/lib/labwright/manifests/monitoring && cat > ${RECORD}`,
    ]);
  });

  it('prune refuses to guess when listing fails for another reason', async () => {
    const objects = [seed002[0]] as K8sObject[];
    const yaml = want(objects);
    const ctx = new FixtureContext([
      [hostText(RECORD), 'service\n'],
      [kubectlDiff(KC, { yaml }), { code: 0, output: '' }],
      [kubectlLabelled(KC, 'service', `${OWNER_LABEL}=monitoring`), { objects: [], error: 'Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout' }],
    ]);
    await expect(kubectlApplyRelease(args([{ objects }], true)).plan(ctx)).rejects.toThrow('release monitoring: cannot list service labelled labwright.dev/managed-by=monitoring to prune: Unable to connect');
  });

  it('a URL source: unpredictable until fetched, then checked against its sha256 when read back', async () => {
    const text = seed002.map(objectYaml).join('---\n');
    const source = { hostFile: '/var/lib/labwright/manifests/monitoring/source-1.yaml', sha256: createHash('sha256').update(text).digest('hex'), what: 'https://example.com/m.yaml' };
    const missing = new FixtureContext([[hostText(RECORD), undefined], [hostText(source.hostFile), undefined]]);
    const plan = await kubectlApplyRelease(args([source])).plan(missing);
    expect(plan).toMatchObject({ kind: 'unpredictable', changes: [{ summary: expect.stringContaining('https://example.com/m.yaml not on the host yet') }] });
    const tampered = new FixtureContext([[hostText(RECORD), undefined], [hostText(source.hostFile), `${text}# extra\n`]]);
    await expect(kubectlApplyRelease(args([source])).plan(tampered)).rejects.toThrow(`expected ${source.sha256}`);
  });
});

describe('rollout waits', () => {
  const r: RolloutArgs = { kubeconfig: KC, resource: 'deployment/grafana', namespace: 'monitoring', timeoutSeconds: 120, hint: 'kubectl -n monitoring get pods' };

  it('ok once rolled out; otherwise a bounded kubectl rollout status that names what did not roll out', async () => {
    expect(await new FixtureContext([[kubectlRolledOut(r), true]]).planAndApply(kubectlRollout(r))).toMatchObject({ kind: 'ok' });
    const ctx = new FixtureContext([[kubectlRolledOut(r), false]]);
    const plan = await ctx.planAndApply(kubectlRollout(r));
    expect(plan).toMatchObject({ kind: 'change', changes: [{ summary: 'wait up to 120s for the rollout of deployment/grafana in monitoring' }] });
    expect(ctx.commands[0].cmd.text).toContain(`kubectl --kubeconfig ${KC} -n monitoring rollout status deployment/grafana --timeout=120s`);
    expect(ctx.commands[0].cmd.text).toContain('deployment/grafana in monitoring did not finish rolling out within 120s; look at: kubectl -n monitoring get pods');
    expect(ctx.commands[0].opts?.timeoutMs).toBe(180_000);
  });
});

describe('seed 002 example', () => {
  const file = fileURLToPath(new URL('../../inventory/examples/vmstation.yaml', import.meta.url));

  it('vmstation.yaml with its monitoring NodePorts passes --plan; the map shows each NodePort on each node', async () => {
    const io = captureIo();
    const code = await main(site, ['-i', file, '--plan'], io);
    expect(code, io.stderr + io.stdout).toBe(0);
    const out = io.stdout + io.stderr;
    for (const node of ['192.168.4.61', '192.168.4.62', '192.168.4.63']) {
      expect(out).toMatch(new RegExp(`${node.replace(/\./g, '\\.')}:30300 +listen +NodePort 30300 \\(release monitoring: Service monitoring/grafana\\)`));
    }
    expect(out).toContain('address plan: no conflicts');
  });

  it('a NodePort is a listener on every node: another listener on that port of a node is a plan conflict', async () => {
    const inventory = await loadInventory([file]);
    const masternode = inventory.hosts.get('masternode')!;
    const vars = resolveRoleVars(manifests as RoleUse, masternode, inventory) as ManifestsVars;
    const claims = nodePortClaims(vars, masternode, inventory);
    expect(claims.filter((c) => c.kind === 'listen').map((c) => `${(c as { host: string }).host}:${(c as { port: number }).port}`).sort()).toEqual(
      ['homelab', 'masternode', 'storagenodet3500'].flatMap((h) => [`${h}:30090`, `${h}:30300`, `${h}:31100`]).sort(),
    );
    expect(nodePortClaims(vars, inventory.hosts.get('homelab')!, inventory)).toEqual([]);
    const stats: Claim = { kind: 'listen', by: 'haproxy on homelab', host: 'homelab', port: 30300, at: ['192.168.4.62'], what: 'haproxy stats on homelab' };
    expect(checkPlan([...claims, stats])).toContain(
      'NodePort 30300 (release monitoring: Service monitoring/grafana) (manifests) and haproxy stats on homelab (haproxy on homelab) both listen on port 30300 of homelab: one of them cannot start',
    );
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { debPackages } from '../facts/builtin.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { MASK, secret } from '../secret.js';
import { helmBinary, helmVersion, machineArch } from './helm-binary.js';
import { helmDiff, helmDiffObjects, helmRelease, helmReleaseOp, maskValues, revealValues, type HelmReleaseArgs, type ReleaseState } from './helm-release.js';

const base: HelmReleaseArgs = {
  name: 'grafana',
  namespace: 'monitoring',
  chart: 'grafana',
  repo: 'https://grafana.github.io/helm-charts',
  version: '8.10.1',
  values: { service: { type: 'NodePort', nodePort: 30300 }, adminPassword: secret('gr4fana-s3cret') },
  kubeconfig: '/etc/kubernetes/admin.conf',
};
const stateFact = (a: HelmReleaseArgs) => helmRelease('helm', a.kubeconfig, a.namespace, a.name);
const valuesText = (a: HelmReleaseArgs) => `${JSON.stringify(revealValues(a.values), null, 2)}\n`;
const deployed = (chart: string, values: unknown, status = 'deployed'): ReleaseState => ({
  helm: true,
  release: { name: 'grafana', namespace: 'monitoring', revision: '3', status, chart },
  values: values as Record<string, unknown>,
});

describe('helmReleaseOp', () => {
  it('is ok when the deployed chart version and values are the wanted ones, and runs nothing', async () => {
    const ctx = new FixtureContext([[stateFact(base), deployed('grafana-8.10.1', revealValues(base.values))]]);
    const plan = await ctx.planAndApply(helmReleaseOp(base));
    expect(plan.kind).toBe('ok');
    expect(ctx.commands).toHaveLength(0);
  });

  it('installs a missing release with the values on stdin (Secret revealed only there), never on the command line', async () => {
    const ctx = new FixtureContext([[stateFact(base), { helm: true }], [helmDiff(base, valuesText(base)), { plugin: false }]]);
    const plan = await ctx.planAndApply(helmReleaseOp(base));
    expect(plan.kind).toBe('unpredictable');
    if (plan.kind === 'ok') return;
    expect(plan.changes[0].summary).toContain('install release monitoring/grafana: chart grafana 8.10.1');
    expect(plan.changes[0].summary).toContain('not predictable without the helm-diff plugin');
    expect(plan.changes[0].diff).toEqual({ path: 'helm values monitoring/grafana', before: null, after: `service:\n  type: NodePort\n  nodePort: 30300\nadminPassword: "${MASK}"\n` });
    const { cmd, opts } = ctx.commands[0];
    expect(cmd.text).toContain("helm upgrade --install grafana grafana --repo https://grafana.github.io/helm-charts --version 8.10.1 --kubeconfig /etc/kubernetes/admin.conf --namespace monitoring --create-namespace --values \"$lw_values\"");
    expect(cmd.text).not.toContain('gr4fana');
    expect(parse(String(opts?.stdin))).toEqual({ service: { type: 'NodePort', nodePort: 30300 }, adminPassword: 'gr4fana-s3cret' });
  });

  it('plans an upgrade from the chart version and values, with helm diff\'s objects when the plugin is there', async () => {
    const old = { service: { type: 'NodePort', nodePort: 30301 }, adminPassword: 'old-pass-word' };
    const output = 'monitoring, grafana, Service (v1) has changed:\n  ...\nmonitoring, grafana, Deployment (apps) has changed:\n';
    const ctx = new FixtureContext([[stateFact(base), deployed('grafana-8.9.0', old)], [helmDiff(base, valuesText(base)), { plugin: true, code: 2, output }]]);
    const plan = await helmReleaseOp(base).plan(ctx);
    expect(plan.kind).toBe('change');
    if (plan.kind === 'ok') return;
    expect(plan.changes.map((c) => c.summary)).toEqual([
      'upgrade release monitoring/grafana: chart grafana-8.9.0 → grafana-8.10.1; release monitoring/grafana: values differ',
      'helm diff: monitoring, grafana, Service (v1) has changed',
      'helm diff: monitoring, grafana, Deployment (apps) has changed',
    ]);
    const diff = plan.changes[0].diff!;
    // the old value at a secret's place is masked too
    expect(diff.sensitive).toBeFalsy();
    expect(JSON.stringify(diff)).not.toContain('old-pass-word');
    expect(JSON.stringify(diff)).toContain('30301');
  });

  it('upgrades a failed release even with the same chart and values', async () => {
    const ctx = new FixtureContext([[stateFact(base), deployed('grafana-8.10.1', revealValues(base.values), 'failed')], [helmDiff(base, valuesText(base)), { plugin: true, code: 0, output: '' }]]);
    const plan = await helmReleaseOp(base).plan(ctx);
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes[0].summary).toBe('release monitoring/grafana is failed (revision 3): upgrade it again');
  });

  it('says it cannot read the release when helm is not installed yet (check mode before the helm task ran)', async () => {
    const ctx = new FixtureContext([[stateFact(base), { helm: false, error: 'helm is not installed' }]]);
    const plan = await helmReleaseOp({ ...base, waitSeconds: 300 }).plan(ctx);
    expect(plan.kind).toBe('unpredictable');
    if (plan.kind === 'ok') return;
    expect(plan.changes[0].summary).toContain('cannot read the release yet: helm is not installed');
    await plan.apply(ctx);
    expect(ctx.commands[0].cmd.text).toContain('--wait --timeout 300s');
  });

  it('parses helm list / get values output, and helm diff headers', () => {
    const f = stateFact(base);
    const list = JSON.stringify([{ name: 'grafana', namespace: 'monitoring', revision: '1', status: 'deployed', chart: 'grafana-8.10.1', app_version: '11' }]);
    expect(f.parse({ stdout: `${list}\n---\n{"a":1}\n`, code: 0 })).toMatchObject({ helm: true, release: { chart: 'grafana-8.10.1' }, values: { a: 1 } });
    expect(f.parse({ stdout: '[]\n---\nnull\n', code: 0 })).toEqual({ helm: true });
    expect(f.parse({ stdout: 'Kubernetes cluster unreachable', code: 4 })).toEqual({ helm: false, error: 'Kubernetes cluster unreachable' });
    expect(helmDiffObjects('kube-system, cilium, DaemonSet (apps) has changed:\n-  a\n+  b\nkube-system, x, ConfigMap (v1) has been added:\n')).toEqual([
      'kube-system, cilium, DaemonSet (apps) has changed',
      'kube-system, x, ConfigMap (v1) has been added',
    ]);
    expect(helmDiff(base, 'a: 1\n').id).not.toContain('a: 1');
    expect(maskValues({ a: [secret('abcdef')] })).toEqual({ a: [MASK] });
  });
});

describe('helmBinary', () => {
  const tarball = Buffer.from('not really a tarball');
  const sha = createHash('sha256').update(tarball).digest('hex');

  it('refuses a local tarball whose sha256 does not match, before any host is touched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-helm-'));
    try {
      writeFileSync(join(dir, 'helm.tgz'), tarball);
      expect(() => helmBinary({ version: 'v3.17.3', arch: 'amd64', file: join(dir, 'helm.tgz'), sha256: '0'.repeat(64) })).toThrow(/sha256 is [0-9a-f]{64}, expected 0{64}: refusing/);
      const ops = helmBinary({ version: 'v3.17.3', arch: 'amd64', file: join(dir, 'helm.tgz'), sha256: sha });
      expect(ops).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is ok at the pinned version; otherwise fetches over https, checks the sha256 on the host, then installs', async () => {
    const [, op] = helmBinary({ version: 'v3.17.3', arch: 'arm64', sha256: sha });
    expect(await op.plan(new FixtureContext([[helmVersion('/usr/local/bin/helm'), 'v3.17.3']]))).toMatchObject({ kind: 'ok' });
    const ctx = new FixtureContext([[helmVersion('/usr/local/bin/helm'), 'v3.16.0']]);
    const plan = await ctx.planAndApply(op);
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes[0].summary).toContain('install helm v3.16.0 → v3.17.3 at /usr/local/bin/helm from https://get.helm.sh/helm-v3.17.3-linux-arm64.tar.gz');
    const text = ctx.commands[0].cmd.text;
    expect(text.indexOf('sha256sum')).toBeLessThan(text.indexOf('tar -xzf'));
    expect(text).toContain(sha);
    expect(() => helmBinary({ version: 'v3.17.3', arch: 'amd64', sha256: sha, url: 'http://mirror/helm.tgz' })).toThrow(/https only/);
  });
});

describe('helmBinary without an arch', () => {
  it('reads the host\'s architecture (uname -m) and fetches that tarball', async () => {
    const [op] = helmBinary({ version: 'v3.17.3', sha256: 'a'.repeat(64) });
    const ctx = new FixtureContext([[machineArch(), 'arm64'], [helmVersion('/usr/local/bin/helm'), undefined], [debPackages(['curl', 'ca-certificates']), new Map([['curl', '8'], ['ca-certificates', '1']])]]);
    const plan = await op.plan(ctx);
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes.map((c) => c.summary).join('\n')).toContain('helm-v3.17.3-linux-arm64.tar.gz');
    expect(machineArch().parse({ stdout: 'x86_64\n', code: 0 })).toBe('amd64');
  });
});

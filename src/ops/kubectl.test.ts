import { describe, expect, it } from 'vitest';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { pathExists } from '../facts/builtin.js';
import { diffedObjects, kubectlApply, kubectlApplyManifest, kubectlGuard, kubectlCondition, kubectlDiff, kubectlLive, kubectlWait, objectYaml, projectOnto, type K8sObject, type WaitArgs } from './kubectl.js';

const KC = '/etc/kubernetes/admin.conf';
const pool: K8sObject = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lan', namespace: 'metallb-system' }, spec: { addresses: ['10.0.50.0/24'] } };
const yaml = objectYaml(pool);

function ctxFor(diff: { code: number; output: string }, live = ''): FixtureContext {
  return new FixtureContext([
    [kubectlDiff(KC, { yaml }), diff],
    [kubectlLive(KC, yaml), live],
  ]);
}

describe('kubectlApply', () => {
  it('plans with kubectl diff --server-side; the object travels on stdin, never in the command', () => {
    const f = kubectlDiff(KC, { yaml });
    expect(f.command.text).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf diff --server-side --force-conflicts --field-manager=labwright -f - 2>&1');
    expect(f.stdin).toBe(yaml);
    const live = kubectlLive(KC, yaml);
    expect(live.command.text).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf get -f - -o yaml --ignore-not-found');
    expect(live.stdin).toBe(yaml);
  });

  it('no differences: ok, nothing run', async () => {
    const ctx = ctxFor({ code: 0, output: '' });
    const plan = await ctx.planAndApply(kubectlApply({ kubeconfig: KC, object: pool }));
    expect(plan).toMatchObject({ kind: 'ok', reason: 'IPAddressPool metallb-system/lan: no differences (kubectl diff --server-side)' });
    expect(ctx.commands).toEqual([]);
  });

  it('differences: shows the live object cut to the managed fields, applies server-side with the object on stdin', async () => {
    const live = `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: lan\n  namespace: metallb-system\n  uid: 1234\n  managedFields: []\nspec:\n  addresses:\n    - 10.0.60.0/24\n  autoAssign: true\nstatus: {}\n`;
    const ctx = ctxFor({ code: 1, output: 'diff -u -N …' }, live);
    const plan = await ctx.planAndApply(kubectlApply({ kubeconfig: KC, object: pool }));
    expect(plan.kind).toBe('change');
    if (plan.kind === 'ok') throw new Error('unreachable');
    expect(plan.changes[0].summary).toBe('server-side apply IPAddressPool metallb-system/lan');
    expect(plan.changes[0].diff).toEqual({ path: 'IPAddressPool metallb-system/lan', before: yaml.replace('10.0.50.0/24', '10.0.60.0/24'), after: yaml });
    expect(ctx.shown).toEqual(['kubectl --kubeconfig /etc/kubernetes/admin.conf apply --server-side --force-conflicts --field-manager=labwright -f -']);
    expect(ctx.commands[0].opts?.stdin).toBe(yaml);
  });

  it('a new object: before is null', async () => {
    const plan = await ctxFor({ code: 1, output: '' }).planAndApply(kubectlApply({ kubeconfig: KC, object: pool }));
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes[0]).toMatchObject({ summary: 'server-side apply IPAddressPool metallb-system/lan (new)', diff: { before: null, after: yaml } });
  });

  it('kubectl diff failing (the CRD not installed yet, in --check) is unpredictable, with kubectl\'s reason', async () => {
    const plan = await kubectlApply({ kubeconfig: KC, object: pool }).plan(ctxFor({ code: 2, output: 'error: resource mapping not found for name: "lan": no matches for kind "IPAddressPool"\n' }));
    expect(plan.kind).toBe('unpredictable');
    if (plan.kind === 'ok') throw new Error('unreachable');
    expect(plan.changes[0].summary).toContain('cannot diff yet: error: resource mapping not found');
  });

  it('kubectlGuard: the refusal alone, before anything else of the change runs', async () => {
    const live = objectYaml({ ...pool, spec: { addresses: ['10.9.9.0/24'] } });
    const refuse = (l: Record<string, unknown> | undefined) => (l ? 'no moving pools' : undefined);
    await expect(kubectlGuard({ kubeconfig: KC, object: pool, refuse }).plan(ctxFor({ code: 1, output: '' }, live))).rejects.toThrow('IPAddressPool metallb-system/lan: no moving pools');
    expect(await kubectlGuard({ kubeconfig: KC, object: pool, refuse }).plan(ctxFor({ code: 1, output: '' }))).toMatchObject({ kind: 'ok', reason: 'IPAddressPool metallb-system/lan: not in the cluster yet' });
  });

  it('projectOnto keeps only the wanted shape', () => {
    expect(projectOnto({ a: 1, b: { c: 2, d: 3 }, l: [{ x: 1, y: 2 }, { x: 3 }] }, { b: { c: 0 }, l: [{ x: 0 }] })).toEqual({ b: { c: 2 }, l: [{ x: 1 }, { x: 3 }] });
  });
});

describe('kubectlApplyManifest', () => {
  const file = '/var/lib/labwright/metallb/metallb-native-v0.14.9-1234abcd.yaml';
  const source = { file };

  it('not on the host yet (--check before the fetch): unpredictable, says why', async () => {
    const ctx = new FixtureContext([[pathExists(file), false], [kubectlDiff(KC, source), { code: 2, output: 'error: the path does not exist' }]]);
    const plan = await kubectlApplyManifest({ kubeconfig: KC, source }).plan(ctx);
    expect(plan).toMatchObject({ kind: 'unpredictable', changes: [{ summary: `server-side apply ${file} (not on the host yet: an earlier task puts it there; cannot diff)` }] });
  });

  it('lists the objects kubectl diff names, and applies the file server-side', async () => {
    const output = 'diff -u -N /tmp/LIVE-1/apps.v1.Deployment.metallb-system.controller /tmp/MERGED-2/apps.v1.Deployment.metallb-system.controller\n--- a\n+++ b\n';
    const ctx = new FixtureContext([[pathExists(file), true], [kubectlDiff(KC, source), { code: 1, output }]]);
    const plan = await ctx.planAndApply(kubectlApplyManifest({ kubeconfig: KC, source }));
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes.map((c) => c.summary)).toEqual([`server-side apply apps.v1.Deployment.metallb-system.controller (from ${file})`]);
    expect(ctx.shown).toEqual([`kubectl --kubeconfig ${KC} apply --server-side --force-conflicts --field-manager=labwright -f ${file}`]);
  });

  it('kustomization directories go through -k', async () => {
    const ctx = new FixtureContext([[pathExists('/var/lib/labwright/calico'), true], [kubectlDiff(KC, { kustomize: '/var/lib/labwright/calico' }), { code: 0, output: '' }]]);
    expect(kubectlDiff(KC, { kustomize: '/var/lib/labwright/calico' }).command.text).toContain('diff --server-side --force-conflicts --field-manager=labwright -k /var/lib/labwright/calico');
    expect(await kubectlApplyManifest({ kubeconfig: KC, source: { kustomize: '/var/lib/labwright/calico' } }).plan(ctx)).toMatchObject({ kind: 'ok' });
  });

  it('diffedObjects reads kubectl diff headers', () => {
    expect(diffedObjects('diff -u -N /tmp/LIVE-1/a.b /tmp/MERGED-1/a.b\n+x\ndiff -u -N /tmp/LIVE-1/c /tmp/MERGED-1/c\n')).toEqual(['a.b', 'c']);
  });
});

describe('kubectlWait', () => {
  const args: WaitArgs = {
    kubeconfig: KC,
    resource: 'pod',
    namespace: 'metallb-system',
    selector: 'app=metallb,component=controller',
    condition: 'Ready',
    timeoutSeconds: 300,
    what: 'the MetalLB controller',
    hint: 'kubectl -n metallb-system get pods',
  };

  it('already ready (checked once with --timeout=0s): ok, no wait', async () => {
    expect(kubectlCondition(args).command.text).toBe(`kubectl --kubeconfig ${KC} -n metallb-system wait --for=condition=Ready pod -l app=metallb,component=controller --timeout=0s`);
    const ctx = new FixtureContext([[kubectlCondition(args), true]]);
    expect(await ctx.planAndApply(kubectlWait(args))).toMatchObject({ kind: 'ok', reason: 'the MetalLB controller: Ready' });
    expect(ctx.commands).toEqual([]);
  });

  it('not ready: a bounded retry loop that fails with what, kubectl\'s last answer and where to look', async () => {
    const ctx = new FixtureContext([[kubectlCondition(args), false]]);
    const plan = await ctx.planAndApply(kubectlWait(args));
    expect(plan).toMatchObject({ kind: 'change', changes: [{ summary: 'wait up to 300s for the MetalLB controller (pod -l app=metallb,component=controller in metallb-system: Ready)' }] });
    const loop = ctx.commands[0].cmd.text;
    expect(loop).toContain('deadline=$(( $(date +%s) + 300 ))');
    expect(loop).toContain('--timeout="${left}s"');
    expect(loop).toContain("'timed out after 300s waiting for the MetalLB controller (pod -l app=metallb,component=controller in metallb-system: condition Ready); look at: kubectl -n metallb-system get pods'");
    // its own deadline, not the default ceiling of a command (which may be shorter than wait_timeout)
    expect(ctx.commands[0].opts?.timeoutMs).toBe(360_000);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { objectYaml } from '../../../src/ops/kubectl.js';
import { fakeMetallbNative } from './fake-manifests.js';
import { STANDIN_SCRIPT } from './index.js';

/** The stand-in's own behaviour, run locally (python3) with its store and log in a temp dir. */
let dir: string;
let env: NodeJS.ProcessEnv;

function kubectl(args: string[], stdin = '') {
  const r = spawnSync('python3', [fileURLToPath(STANDIN_SCRIPT), '--kubeconfig', join(dir, 'admin.conf'), ...args], { input: stdin, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-kubectl-standin-'));
  writeFileSync(join(dir, 'admin.conf'), '# fake\n');
  env = { ...process.env, KUBECTL_STANDIN_STORE: join(dir, 'store'), KUBECTL_STANDIN_LOG: join(dir, 'log') };
});

const pool = objectYaml({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lan', namespace: 'metallb-system' }, spec: { addresses: ['10.0.50.0/24'] } });

describe('kubectl stand-in', () => {
  it('refuses a custom kind before its CRD, then diffs 1 → applies → diffs 0, like kubectl diff', () => {
    expect(kubectl(['diff', '--server-side', '-f', '-'], pool)).toMatchObject({ code: 2 });
    expect(kubectl(['apply', '--server-side', '-f', '-'], pool).err).toContain('no matches for kind "IPAddressPool" in version "metallb.io/v1beta1"');
    writeFileSync(join(dir, 'native.yaml'), fakeMetallbNative());
    expect(kubectl(['apply', '--server-side', '-f', join(dir, 'native.yaml')]).code).toBe(0);
    const d = kubectl(['diff', '--server-side', '-f', '-'], pool);
    expect(d.code).toBe(1);
    expect(d.out).toContain('diff -u -N /tmp/LIVE-0/metallb.io.v1beta1.IPAddressPool.metallb-system.lan');
    expect(kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], pool)).toMatchObject({ code: 0, out: 'ipaddresspool.metallb.io/lan serverside-applied\n' });
    expect(kubectl(['diff', '--server-side', '-f', '-'], pool).code).toBe(0);
    expect(readFileSync(join(dir, 'store/objects/metallb.io/IPAddressPool/metallb-system/lan.yaml'), 'utf8')).toBe(pool);
    expect(kubectl(['get', '-f', '-', '-o', 'yaml'], pool).out).toBe(pool);
    expect(kubectl(['get', 'ipaddresspools', '-n', 'metallb-system', '-o', 'name']).out).toBe('ipaddresspool.metallb.io/lan\n');
    expect(kubectl(['create', '-f', '-'], pool).err).toContain('AlreadyExists');
  });

  it('wait: check-once fails until a waiting wait marked the target ready; never-ready times out', () => {
    const probe = ['wait', '--for=condition=Ready', 'pod', '-l', 'app=metallb', '-n', 'metallb-system', '--timeout=0s'];
    expect(kubectl(probe).code).toBe(1);
    expect(kubectl([...probe.slice(0, -1), '--timeout=300s']).code).toBe(0);
    expect(kubectl(probe).code).toBe(0);
    writeFileSync(join(dir, 'store/never-ready'), '');
    expect(kubectl(['wait', '--for=condition=Available', 'tigerastatus/calico', '--timeout=1s']).err).toContain('timed out waiting for the condition on tigerastatus/calico');
  });

  it('needs a kubeconfig, refuses client-side apply of an object over 256 KiB, logs every call', () => {
    const r = spawnSync('python3', [fileURLToPath(STANDIN_SCRIPT), '--kubeconfig', '/nonexistent/admin.conf', 'get', 'pods'], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stat /nonexistent/admin.conf: no such file or directory');
    const big = objectYaml({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'installations.operator.tigera.io' }, spec: { description: 'x'.repeat(300_000) } });
    expect(kubectl(['apply', '-f', '-'], big).err).toContain('metadata.annotations: Too long: must have at most 262144 bytes');
    expect(kubectl(['apply', '--server-side', '-f', '-'], big).code).toBe(0);
    const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verb: string; exit: number });
    expect(log.map((l) => `${l.verb}:${l.exit}`)).toEqual(['get:1', 'apply:1', 'apply:0']);
  });
});

describe('kubectl stand-in: label selectors, delete, rollout status (manifests role)', () => {
  const svc = (name: string, release?: string) =>
    objectYaml({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'monitoring', ...(release ? { labels: { 'labwright.dev/managed-by': release } } : {}) }, spec: { type: 'NodePort' } });
  const deploy = objectYaml({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'grafana', namespace: 'monitoring' }, spec: { replicas: 1 } });

  it('get -l lists only objects carrying the label; delete removes one object; its type and namespace must match', () => {
    expect(kubectl(['apply', '--server-side', '-f', '-'], [svc('grafana', 'monitoring'), svc('loki', 'other'), svc('mine')].join('---\n')).code).toBe(0);
    const listed = kubectl(['get', 'service', '--all-namespaces', '-l', 'labwright.dev/managed-by=monitoring', '-o', 'name']);
    expect(listed.out.trim().split('\n')).toEqual(['service/grafana']);
    expect(kubectl(['get', 'service', '-l', 'labwright.dev/managed-by', '-o', 'name']).out.trim().split('\n').sort()).toEqual(['service/grafana', 'service/loki']);
    expect(kubectl(['delete', 'deployment.apps', 'grafana', '-n', 'monitoring'])).toMatchObject({ code: 1 });
    expect(kubectl(['delete', 'service', 'grafana', '-n', 'monitoring', '--ignore-not-found', '--wait=false'])).toMatchObject({ code: 0 });
    expect(kubectl(['get', 'service', '-o', 'name']).out.trim().split('\n').sort()).toEqual(['service/loki', 'service/mine']);
    expect(kubectl(['delete', 'service', 'grafana', '-n', 'monitoring', '--ignore-not-found'])).toMatchObject({ code: 0 });
  });

  it('rollout status: --watch=false reports not complete until a rollout was waited for; never-ready fails after --timeout', () => {
    expect(kubectl(['rollout', 'status', 'deployment/grafana', '-n', 'monitoring', '--watch=false'])).toMatchObject({ code: 1 });
    kubectl(['apply', '--server-side', '-f', '-'], deploy);
    expect(kubectl(['rollout', 'status', 'deployment/grafana', '-n', 'monitoring', '--watch=false']).out).toContain('Waiting for deployment "grafana" rollout to finish');
    expect(kubectl(['rollout', 'status', 'deployment/grafana', '-n', 'monitoring', '--timeout=5s'])).toMatchObject({ code: 0 });
    expect(kubectl(['rollout', 'status', 'deployment/grafana', '-n', 'monitoring', '--watch=false']).out).toContain('deployment "grafana" successfully rolled out');
    writeFileSync(join(dir, 'store', 'never-ready'), '');
    expect(kubectl(['rollout', 'status', 'deployment/grafana', '-n', 'monitoring', '--timeout=0s']).err).toContain('timed out waiting for the condition');
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { STANDIN_NODES, STANDIN_SCRIPT } from '../kubectl/index.js';
import { HELM_STANDIN_SCRIPT } from './index.js';

/** The helm stand-in's own behaviour, run locally (python3), with the kubectl stand-in as `kubectl` on PATH, store and logs in a temp dir. */
let dir: string;
let env: NodeJS.ProcessEnv;

function helm(args: string[]) {
  const r = spawnSync('python3', [fileURLToPath(HELM_STANDIN_SCRIPT), ...args], { env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const kc = () => ['--kubeconfig', join(dir, 'admin.conf'), '-n', 'kube-system'];
const values = (v: unknown) => {
  writeFileSync(join(dir, 'values.json'), JSON.stringify(v));
  return ['--values', join(dir, 'values.json')];
};
const upgrade = (version: string, v: unknown) => helm(['upgrade', '--install', 'cilium', 'cilium', '--repo', 'https://helm.cilium.io/', '--version', version, ...kc(), ...values(v)]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-helm-standin-'));
  writeFileSync(join(dir, 'admin.conf'), '# fake\n');
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/kubectl'), readFileSync(STANDIN_SCRIPT));
  chmodSync(join(dir, 'bin/kubectl'), 0o755);
  // the stand-in imports its node verbs from its own directory
  writeFileSync(join(dir, 'bin/kubectl_standin_nodes.py'), readFileSync(STANDIN_NODES));
  env = {
    ...process.env,
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    HELM_STANDIN_STORE: join(dir, 'helm'),
    HELM_STANDIN_LOG: join(dir, 'helm.log'),
    KUBECTL_STANDIN_STORE: join(dir, 'kube'),
    KUBECTL_STANDIN_LOG: join(dir, 'kube.log'),
  };
  mkdirSync(join(dir, 'helm/charts/cilium/1.17.6'), { recursive: true });
  writeFileSync(join(dir, 'helm/charts/cilium/1.17.6/manifest.yaml'), 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: cilium\n  namespace: kube-system\n');
});

describe('helm stand-in', () => {
  it('installs only a chart version it has, through kubectl, then lists and serves the values; upgrades count revisions', () => {
    expect(upgrade('1.99.0', {}).err).toContain('chart "cilium" version "1.99.0" not found in https://helm.cilium.io/ repository');
    expect(upgrade('1.17.6', { ipam: { mode: 'kubernetes' } })).toMatchObject({ code: 0, out: 'Release "cilium" has been installed. Happy Helming!\n' });
    expect(readFileSync(join(dir, 'kube/objects/apps/DaemonSet/kube-system/cilium.yaml'), 'utf8')).toContain('name: cilium');
    expect(JSON.parse(helm(['list', ...kc(), '--all', '--filter', '^cilium$', '-o', 'json']).out)).toEqual([
      { name: 'cilium', namespace: 'kube-system', revision: '1', updated: 'stand-in', status: 'deployed', chart: 'cilium-1.17.6', app_version: '1.17.6' },
    ]);
    expect(JSON.parse(helm(['get', 'values', 'cilium', ...kc(), '-o', 'json']).out)).toEqual({ ipam: { mode: 'kubernetes' } });
    expect(upgrade('1.17.6', {}).out).toContain('has been upgraded');
    expect(helm(['get', 'values', 'cilium', ...kc(), '-o', 'json']).out).toBe('null\n');
    expect(JSON.parse(helm(['list', ...kc(), '-o', 'json']).out)[0].revision).toBe('2');
    expect(helm(['get', 'values', 'other', ...kc(), '-o', 'json']).err).toContain('release: not found');
  });

  it('diff: only with the plugin; exit 0 for the same chart and values, 2 with object headers otherwise', () => {
    expect(helm(['plugin', 'list']).out).not.toMatch(/^diff/m);
    mkdirSync(join(dir, 'helm/plugins/diff'), { recursive: true });
    expect(helm(['plugin', 'list']).out).toMatch(/^diff\t/m);
    const diff = (v: unknown) => helm(['diff', 'upgrade', 'cilium', 'cilium', '--version', '1.17.6', ...kc(), ...values(v), '--allow-unreleased', '--detailed-exitcode']);
    expect(diff({ a: 1 })).toMatchObject({ code: 2, out: 'kube-system, cilium, DaemonSet (apps) has been added:\n' });
    upgrade('1.17.6', { a: 1 });
    expect(diff({ a: 1 }).code).toBe(0);
    expect(diff({ a: 2 })).toMatchObject({ code: 2, out: 'kube-system, cilium, DaemonSet (apps) has changed:\n' });
  });

  it('fails like helm without a kubeconfig, and stores a failed release when told to fail', () => {
    expect(helm(['list', '--kubeconfig', '/nonexistent', '-o', 'json']).err).toContain('Kubernetes cluster unreachable');
    writeFileSync(join(dir, 'helm/fail-upgrade'), '');
    expect(upgrade('1.17.6', {}).code).toBe(1);
    expect(JSON.parse(helm(['list', ...kc(), '--all', '-o', 'json']).out)[0].status).toBe('failed');
    expect(helm(['version', '--template', '{{.Version}}']).out).toBe('v3.17.3\n');
    const log = readFileSync(join(dir, 'helm.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => `${l.verb}:${l.exit}`)).toEqual(['list:1', 'upgrade:1', 'list:0', 'version:0']);
  });
});

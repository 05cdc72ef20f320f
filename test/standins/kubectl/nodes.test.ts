import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseNode } from '../../../roles/kubeadm-init/node-state.js';
import { STANDIN_SCRIPT } from './index.js';

/** The stand-in's node verbs (kubectl_standin_nodes.py), run locally with python3, store and log in a temp dir. */
let dir: string;
let env: NodeJS.ProcessEnv;

function kubectl(...args: string[]) {
  const r = spawnSync('python3', [fileURLToPath(STANDIN_SCRIPT), '--kubeconfig', join(dir, 'admin.conf'), ...args], { env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const stored = (name: string) => JSON.parse(readFileSync(join(dir, 'store', 'nodes', `${name}.json`), 'utf8'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-kubectl-nodes-'));
  writeFileSync(join(dir, 'admin.conf'), '# fake\n');
  env = { ...process.env, KUBECTL_STANDIN_STORE: join(dir, 'store'), KUBECTL_STANDIN_LOG: join(dir, 'log') };
  mkdirSync(join(dir, 'store', 'nodes'), { recursive: true });
  writeFileSync(join(dir, 'store', 'nodes', 'cp1.json'), JSON.stringify({ labels: { a: '1' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], ready: true }));
});

describe('kubectl stand-in: nodes', () => {
  it('get -o json gives a Node the roles parse; --ignore-not-found prints nothing for a missing node', () => {
    const got = kubectl('get', 'node', 'cp1', '-o', 'json');
    expect(got.code).toBe(0);
    expect(parseNode(got.out)).toEqual({ labels: { a: '1' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], unschedulable: false, ready: true });
    expect(kubectl('get', 'node', 'nope', '-o', 'json', '--ignore-not-found')).toMatchObject({ code: 0, out: '' });
    expect(kubectl('get', 'node', 'nope')).toMatchObject({ code: 1, err: expect.stringContaining('nodes "nope" not found') });
  });

  it('label and taint as kubectl: a changed value needs --overwrite; removing a missing taint fails', () => {
    expect(kubectl('label', 'node', 'cp1', 'a=2').code).toBe(1);
    expect(kubectl('label', 'node', 'cp1', 'a=2', 'gpu=true', '--overwrite').code).toBe(0);
    expect(stored('cp1').labels).toEqual({ a: '2', gpu: 'true' });
    expect(kubectl('taint', 'node', 'cp1', 'node-role.kubernetes.io/control-plane:NoSchedule-').code).toBe(0);
    expect(kubectl('taint', 'node', 'cp1', 'node-role.kubernetes.io/control-plane:NoSchedule-')).toMatchObject({ code: 1, err: expect.stringContaining('not found') });
    expect(kubectl('taint', 'node', 'cp1', 'nvidia.com/gpu=present:NoSchedule').code).toBe(0);
    expect(stored('cp1').taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    expect(kubectl('taint', 'node', 'cp1', 'x=y:Sometimes').code).toBe(1);
  });

  it('drain cordons (and fails like a blocking PodDisruptionBudget when told to), uncordon, wait Ready, delete', () => {
    expect(kubectl('drain', 'cp1', '--ignore-daemonsets', '--timeout=5m').code).toBe(0);
    expect(stored('cp1').unschedulable).toBe(true);
    expect(kubectl('uncordon', 'cp1').code).toBe(0);
    expect(stored('cp1').unschedulable).toBe(false);
    writeFileSync(join(dir, 'store', 'drain-fails'), '');
    expect(kubectl('drain', 'cp1', '--timeout=5m')).toMatchObject({ code: 1, err: expect.stringContaining('disruption budget') });
    expect(stored('cp1').unschedulable).toBe(true); // cordoned before the evictions failed, as kubectl drain leaves it
    expect(kubectl('wait', '--for=condition=Ready', 'node/cp1', '--timeout=5m')).toMatchObject({ code: 0, out: 'node/cp1 condition met\n' });
    expect(kubectl('delete', 'node', 'cp1').code).toBe(0);
    expect(kubectl('get', 'node', 'cp1', '-o', 'json', '--ignore-not-found').out).toBe('');
    const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verb: string; exit: number });
    expect(log.map((l) => `${l.verb} ${l.exit}`)).toEqual(['drain 0', 'uncordon 0', 'drain 1', 'wait 0', 'delete 0', 'get 0']);
  });
});

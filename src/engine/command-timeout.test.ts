import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../connection/index.js';
import { startSshd, type TestSshd } from '../connection/test-sshd.js';
import { loadInventory } from '../inventory/index.js';
import { command } from '../ops/index.js';
import { sh } from '../shell/quote.js';
import { defineRole, play } from './definitions.js';
import type { HostResult, RunEvent } from './events.js';
import { runPlays } from './runner.js';

/**
 * Two hosts, each behind a real sshd of its own on loopback; one sshd freezes
 * (SIGSTOP) while that host runs a command. The host's task must fail with a
 * timeout naming the command, within `labwright_command_timeout` plus a grace,
 * and the other host must finish its task. The old code waited for ssh
 * keepalives to give up on the frozen connection (about a minute).
 */
describe('a command on a host whose sshd froze', () => {
  let dir: string;
  let sshds: TestSshd[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lw-command-timeout-'));
    sshds = await Promise.all([startSshd(), startSshd()]);
  });
  afterAll(async () => {
    await Promise.all(sshds.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  const started = (host: string) => join(dir, `${host}.started`);

  const slow = defineRole({
    name: 'slow',
    vars: z.object({}),
    tasks: ({ task }) => [task('a short command', ({ host }) => command({ run: sh`touch ${started(host.name)}; sleep 0.5; echo done` }))],
  });

  it('fails that host with the command named, within its timeout and grace; the other host goes on', { timeout: 40_000 }, async () => {
    const [frozen, healthy] = sshds;
    // each its own state directory: both "hosts" are this machine
    const entry = (sshd: TestSshd) =>
      `{ ansible_port: ${sshd.port}, ansible_ssh_private_key_file: ${sshd.clientKeyFile}, known_hosts_file: ${sshd.knownHostsFile}, labwright_state_dir: ${dir}/state-${sshd.port} }`;
    const inventoryFile = join(dir, 'inventory.yaml');
    writeFileSync(
      inventoryFile,
      `all:
  vars:
    ansible_host: 127.0.0.1
    ansible_user: root
    labwright_command_timeout: 6
  hosts:
    frozen: ${entry(frozen)}
    healthy: ${entry(healthy)}
`,
    );
    const inventory = await loadInventory([inventoryFile]);
    const events: RunEvent[] = [];
    const running = runPlays(
      [play({ name: 'slow', hosts: 'all', roles: [slow] })],
      inventory,
      { check: false, forks: 5, tags: { only: [], skip: [] } },
      { event: (e) => events.push(e), finish: async () => {} },
      (host) => connect(host.name, host.connection),
    );
    for (let waited = 0; !existsSync(started('frozen')); waited += 10) {
      if (waited > 20_000) throw new Error(`the command did not start on host frozen: ${JSON.stringify(events)}`);
      await sleep(10);
    }
    await frozen.freeze();
    const recap = await running;

    const results = events.filter((e): e is HostResult => e.type === 'host:result' && e.task.endsWith('a short command'));
    const byHost = Object.fromEntries(results.map((r) => [r.host, r]));
    expect(byHost.frozen).toMatchObject({ status: 'failed' });
    expect(byHost.frozen.error?.message).toMatch(/^frozen: command timed out after 6s: touch \S+frozen\.started; sleep 0\.5; echo done$/);
    expect(byHost.healthy).toMatchObject({ status: 'changed' });
    expect(recap.hosts.frozen.failed).toBe(1);
    expect(recap.hosts.healthy).toMatchObject({ changed: 1, failed: 0, unreachable: 0 });
  });
});

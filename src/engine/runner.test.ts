import { mkdtempSync, readFileSync, existsSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { command, file } from '../ops/index.js';
import { sh } from '../shell/quote.js';
import { defineRole, play } from './definitions.js';
import { captureIo } from '../../test/support/io.js';

/**
 * The engine end to end on the controller itself (ansible_connection: local):
 * real files, real commands, the real CLI entry point. SSH is covered by the
 * lab tests; these prove the engine's contract quickly.
 */
let dir: string;
let inventory: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-engine-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `all:
  vars:
    ansible_connection: local
    workdir: ${dir}
  children:
    servers:
      hosts:
        local1: { labwright_state_dir: ${dir}/state1 }
        local2: { labwright_state_dir: ${dir}/state2 }
`,
  );
});

const log = () => (existsSync(join(dir, 'handler.log')) ? readFileSync(join(dir, 'handler.log'), 'utf8') : '');

/** A role writing two files (each notifying handlers) and an optional failing task. */
const demo = defineRole({
  name: 'demo',
  vars: z.object({ content: z.string().default('v1'), fail: z.boolean().default(false) }),
  tasks: ({ task }) => [
    task('first file', ({ host, vars }) => file({ path: `${host.vars.workdir}/${host.name}-a.conf`, content: `${vars.content}\n` }), {
      notify: ['restart b', 'restart a'],
    }),
    task('second file', ({ host, vars }) => file({ path: `${host.vars.workdir}/${host.name}-b.conf`, content: `${vars.content}\n` }), {
      notify: ['restart a'],
      tags: ['demo:second'],
    }),
    task('may fail', () => command({ run: sh`echo 'disk on fire' >&2; exit 3` }), { when: ({ vars }) => vars.fail }),
  ],
  handlers: ({ handler }) => [
    handler('restart a', ({ host }) => command({ run: sh`echo ${`${host.name} a`} >> ${`${host.vars.workdir}/handler.log`}` })),
    handler('restart b', ({ host }) => command({ run: sh`echo ${`${host.name} b`} >> ${`${host.vars.workdir}/handler.log`}` })),
  ],
});

const plays = [play({ name: 'demo', hosts: 'servers', roles: [demo] })];

describe('engine on local hosts', () => {
  it('applies, runs each notified handler once in definition order, then is idempotent', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory], io)).toBe(0);
    expect(readFileSync(join(dir, 'local1-a.conf'), 'utf8')).toBe('v1\n');
    // two tasks notified "restart a": it runs once per host; "restart a" is defined first
    expect(log().split('\n').filter(Boolean).sort()).toEqual(['local1 a', 'local1 b', 'local2 a', 'local2 b']);
    expect(log().split('\n').filter((l) => l.startsWith('local1'))).toEqual(['local1 a', 'local1 b']);
    expect(io.stdout).toMatch(/local1\s+: ok=0\s+changed=4/);

    const again = captureIo();
    expect(await main(plays, ['-i', inventory], again)).toBe(0);
    expect(again.stdout).toMatch(/local1\s+: ok=2\s+changed=0/);
    expect(again.stdout).not.toContain('RUNNING HANDLER');
    expect(log().split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('--check --diff plans without changing anything and never runs handlers', async () => {
    const before = readdirSync(dir).sort();
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '--check', '--diff'], io)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(io.stdout).toContain(`would change: [local1]\n    - create ${dir}/local1-a.conf`);
    expect(io.stdout).toContain(`+++ ${dir}/local1-a.conf (after)`);
    expect(io.stdout).toContain('+v1');
    expect(io.stdout).toContain('RUNNING HANDLER [demo : restart a]');
    expect(io.stdout).toMatch(/would run \(not predictable\): \[local1\]/);
    expect(log()).toBe('');
  });

  it('a failed task names host, task, command and stderr, exits 2; its pending handlers run on the next run', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '-e', '{"demo": {"fail": true}}', '--limit', 'local1'], io)).toBe(2);
    expect(io.stdout).toContain('failed: [local1]');
    expect(io.stdout).toContain('task: demo : may fail');
    expect(io.stdout).toContain("command: echo 'disk on fire' >&2; exit 3");
    expect(io.stdout).toContain('exit code: 3');
    expect(io.stdout).toContain('stderr: disk on fire');
    expect(log()).toBe('');
    expect(readFileSync(join(dir, 'state1/pending-handlers'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['demo:restart a', 'demo:restart b']);

    const next = captureIo();
    expect(await main(plays, ['-i', inventory, '--limit', 'local1'], next)).toBe(0);
    expect(next.stdout).toMatch(/local1\s+: ok=2\s+changed=2/);
    expect(log()).toBe('local1 a\nlocal1 b\n');
    expect(readFileSync(join(dir, 'state1/pending-handlers'), 'utf8')).toBe('');
  });

  it('--tags runs only the selected tasks; --list-tasks shows tags', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '--tags', 'demo:second'], io)).toBe(0);
    expect(existsSync(join(dir, 'local1-b.conf'))).toBe(true);
    expect(existsSync(join(dir, 'local1-a.conf'))).toBe(false);
    const list = captureIo();
    expect(await main(plays, ['-i', inventory, '--list-tasks'], list)).toBe(0);
    expect(list.stdout).toContain('demo : second file\tTAGS: [demo, demo:second]');
  });

  it('--list-tags: the sorted tags of the tasks each play would run, after --tags/--skip-tags; runs nothing', async () => {
    const listed = async (...args: string[]) => {
      const io = captureIo();
      expect(await main(plays, ['-i', inventory, '--list-tags', ...args], io)).toBe(0);
      return io.stdout;
    };
    expect(await listed()).toBe('\nplay "demo" (servers):\n    TASK TAGS: [demo, demo:second]\n');
    expect(await listed('--skip-tags', 'demo:second')).toBe('\nplay "demo" (servers):\n    TASK TAGS: [demo]\n');
    expect(await listed('--tags', 'nosuchtag')).toBe('\nplay "demo" (servers):\n    TASK TAGS: []\n');
    expect(existsSync(join(dir, 'local1-a.conf'))).toBe(false);
  });

  it('an unreachable host is reported, the others complete, exit 3', async () => {
    writeFileSync(
      inventory,
      `all:
  vars: { labwright_state_dir: ${dir}/state1, workdir: ${dir} }
  hosts:
    local1: { ansible_connection: local }
    ghost: { ansible_host: 127.0.0.1, ansible_port: 1, connect_timeout: 3 }
`,
    );
    const io = captureIo();
    expect(await main([play({ name: 'demo', hosts: 'all', roles: [demo] })], ['-i', inventory], io)).toBe(3);
    expect(io.stdout).toContain('unreachable: [ghost]');
    expect(io.stdout).toMatch(/ghost\s+: ok=0\s+changed=0\s+unreachable=1/);
    expect(readFileSync(join(dir, 'local1-b.conf'), 'utf8')).toBe('v1\n');
  });

  it('a task skipped by its condition never connects (a sleeping or unreachable host is fine)', async () => {
    writeFileSync(inventory, `all:\n  hosts:\n    ghost: { ansible_host: 127.0.0.1, ansible_port: 1, connect_timeout: 3, labwright_state_dir: ${dir}/state1 }\n`);
    const asleep = defineRole({ name: 'asleep', vars: z.object({}), tasks: ({ task }) => [task('not here', () => command({ run: sh`true` }), { when: () => false })] });
    const io = captureIo();
    expect(await main([play({ name: 'p', hosts: 'all', roles: [asleep] })], ['-i', inventory], io)).toBe(0);
    expect(io.stdout).toMatch(/ghost\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=0\s+skipped=1/);
  });

  it('--json prints one document with events and the recap', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '--json', '-e', '{demo: {content: v2}}'], io)).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.recap.hosts.local1).toEqual({ ok: 0, changed: 4, failed: 0, skipped: 1, unreachable: 0, rescued: 0, ignored: 0 });
    expect(doc.events.filter((e: { type: string }) => e.type === 'host:result')).toHaveLength(10);
  });

  it('bad role vars stop the run before any host is touched, naming host and key', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '-e', '{demo: {content: 5}}'], io)).toBe(4);
    expect(io.stderr).toContain('hosts local1, local2: demo.content: Invalid input: expected string, received number, got 5 (set at extra vars)');
    expect(readdirSync(dir)).toEqual(['inventory.yaml']);
  });

  it('the free strategy and serial batches reach the same end state', async () => {
    const io = captureIo();
    const free = [play({ name: 'demo', hosts: 'servers', roles: [demo], strategy: 'free', serial: 1 })];
    expect(await main(free, ['-i', inventory], io)).toBe(0);
    expect(log().split('\n').filter(Boolean).sort()).toEqual(['local1 a', 'local1 b', 'local2 a', 'local2 b']);
  });

  it('secrets never appear in any output: diffs, commands, stderr, JSON', async () => {
    writeFileSync(
      inventory,
      `all:
  vars: { ansible_connection: local, workdir: ${dir}, labwright_state_dir: ${dir}/state1, token: !secret hunter2-token }
  hosts: { local1: }
`,
    );
    const secretive = defineRole({
      name: 'secretive',
      vars: z.object({}),
      tasks: ({ task }) => [
        task('write', ({ host }) => file({ path: `${host.vars.workdir}/s.conf`, content: `token=${(host.vars.token as { reveal(): string }).reveal()}\n` })),
        task('leak', ({ host }) => command({ run: sh`echo ${host.vars.token as never} >&2; exit 1` })),
      ],
    });
    const p = [play({ name: 's', hosts: 'all', roles: [secretive] })];
    for (const flags of [['--diff'], ['--json']]) {
      const io = captureIo();
      expect(await main(p, ['-i', inventory, ...flags], io)).toBe(2);
      expect(io.stdout + io.stderr).not.toContain('hunter2-token');
      expect(io.stdout).toContain('********');
    }
    expect(readFileSync(join(dir, 's.conf'), 'utf8')).toBe('token=hunter2-token\n');
  });

  it('maxFailPercentage stops the play for every host once exceeded', async () => {
    // local1 fails; local2 is fine, but 1 of 2 (50%) exceeds 40%: the play stops before local2's handlers
    writeFileSync(inventory, readFileSync(inventory, 'utf8').replace('local1: {', 'local1: { demo: { fail: true },'));
    const io = captureIo();
    const strict = [play({ name: 'demo', hosts: 'servers', roles: [demo], maxFailPercentage: 40 })];
    expect(await main(strict, ['-i', inventory], io)).toBe(2);
    expect(io.stdout).toContain('NO MORE HOSTS LEFT: 1 of 2 hosts failed (max_fail_percentage 40)');
    expect(io.stdout).not.toContain('RUNNING HANDLER');
    expect(log()).toBe('');
  });

  it('bad options exit 5', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '--forks', 'many'], io)).toBe(5);
    expect(io.stderr).toContain('-f/--forks');
    expect(await main(plays, ['--bogus'], io)).toBe(5);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { main } from '../cli/main.js';
import { command, file } from '../ops/index.js';
import { change, type Op } from '../ops/op.js';
import { sh } from '../shell/quote.js';
import { defineRole, play } from './definitions.js';
import { captureIo } from '../../test/support/io.js';

/**
 * The pending-handler list on real hosts (the controller, ansible_connection:
 * local): what a controller killed at any point leaves behind must make the
 * next run restart what was changed (see the chaos test for real kills).
 */
let dir: string;
let inventory: string;
const pendingOf = () => readFileSync(join(dir, 'state/pending-handlers'), 'utf8').split('\n').filter(Boolean);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-pending-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, `all:\n  hosts:\n    local1: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n`);
});

async function run(role: ReturnType<typeof defineRole>): Promise<{ code: number; out: string }> {
  const io = captureIo();
  const code = await main([play({ name: 'p', hosts: 'all', roles: [role] })], ['-i', inventory], io);
  return { code, out: io.text() };
}

/** An op that copies the pending list aside at the moment it applies its change, then makes it. */
function changeThatLooksAtPending(): Op {
  return {
    label: 'config',
    facts: [],
    plan: async () =>
      change({ summary: 'write the config' }, async (c) => {
        await c.run(sh`cp ${join(dir, 'state/pending-handlers')} ${join(dir, 'pending-at-apply')} 2>/dev/null || true; echo new > ${join(dir, 'app.conf')}`);
      }),
  };
}

describe('pending handlers', () => {
  // The old code recorded them after the change: a controller killed in between left the change live and the restart forgotten.
  it('are on the host BEFORE the notifying change is applied', async () => {
    const role = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task }) => [task('config', () => changeThatLooksAtPending(), { notify: ['restart'] })],
      handlers: ({ handler }) => [handler('restart', () => command({ run: sh`echo restarted >> ${join(dir, 'log')}` }))],
    });
    expect((await run(role)).code).toBe(0);
    expect(readFileSync(join(dir, 'pending-at-apply'), 'utf8')).toBe('r:restart\n');
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('restarted\n');
    expect(pendingOf()).toEqual([]);
  });

  it('a change that fails after it was recorded leaves its handler pending for the next run', async () => {
    const failing = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task }) => [task('config', () => command({ run: sh`echo half > ${join(dir, 'app.conf')}; exit 1` }), { notify: ['restart'] })],
      handlers: ({ handler }) => [handler('restart', () => command({ run: sh`echo restarted >> ${join(dir, 'log')}` }))],
    });
    expect((await run(failing)).code).toBe(2);
    expect(pendingOf()).toEqual(['r:restart']);
  });

  // The old code cleared the handlers of a flush only once all had succeeded: the next run restarted `a` a second time.
  it('a handler that ran is cleared at once, even when a later handler fails', async () => {
    const role = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task }) => [task('config', () => file({ path: join(dir, 'app.conf'), content: 'v1\n' }), { notify: ['a', 'b'] })],
      handlers: ({ handler }) => [
        handler('a', () => command({ run: sh`echo a >> ${join(dir, 'log')}` })),
        handler('b', () => command({ run: sh`echo b >&2; exit 1` })),
      ],
    });
    expect((await run(role)).code).toBe(2);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('a\n');
    expect(pendingOf()).toEqual(['r:b']);
  });

  // The old code applied the change first: on a full disk it was live with its restart recorded nowhere.
  it('a change whose handler cannot be recorded (full disk) is not applied', async () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'lw-pending-full', state]);
    onTestFinished(() => void execFileSync('umount', [state]));
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${state}/fill bs=4k 2>/dev/null || true`]);
    const role = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task }) => [task('config', () => file({ path: join(dir, 'app.conf'), content: 'v2\n' }), { notify: ['restart'] })],
      handlers: ({ handler }) => [handler('restart', () => command({ run: sh`echo restarted >> ${join(dir, 'log')}` }))],
    });
    const { code, out } = await run(role);
    expect(code).toBe(2);
    expect(out).toContain(`>> ${join(state, 'pending-handlers')}`); // the failed command: recording the handler
    expect(existsSync(join(dir, 'app.conf'))).toBe(false);
  });

  // The old code moved grep's short output over the list whatever grep said: every other pending handler was lost.
  it('clearing them on a full disk fails and keeps the whole list', async () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'lw-pending-full', state]);
    onTestFinished(() => void execFileSync('umount', [state]));
    writeFileSync(join(state, 'pending-handlers'), 'r:restart\nother:keep me\n');
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${state}/fill bs=4k 2>/dev/null || true`]);
    const role = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task }) => [task('nothing to change', () => command({ run: sh`true`, creates: '/' }))],
      handlers: ({ handler }) => [handler('restart', () => command({ run: sh`echo restarted >> ${join(dir, 'log')}` }))],
    });
    const { code, out } = await run(role);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('restarted\n'); // the handler left pending by an earlier run ran
    expect(code).toBe(2);
    expect(out).toContain('clear pending handlers');
    expect(out).toMatch(/No space left on device/);
    expect(pendingOf()).toEqual(['r:restart', 'other:keep me']);
  });
});

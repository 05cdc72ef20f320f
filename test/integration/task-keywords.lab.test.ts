import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.js';
import { defineRole, play } from '../../src/engine/definitions.js';
import { command, file } from '../../src/ops/index.js';
import { sh } from '../../src/shell/quote.js';
import { startLab, type Lab } from '../lab/index.js';
import { captureIo } from '../support/io.js';

/**
 * The task keywords over real SSH on two lab hosts: a token made once on the
 * first host (runOnce + register) reaches the other host's file, a delegated
 * task runs on the other host, and a block whose task fails on one host is
 * rescued there while the other goes through it.
 */
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ name: 'keywords', hosts: ['k1', 'k2'].map((name) => ({ name, groups: ['nodes'] })) });
});

afterAll(async () => {
  await lab?.stop();
});

const role = defineRole({
  name: 'kw',
  vars: z.object({}),
  tasks: ({ task, block }) => [
    task('make a token once', () => command({ run: sh`cat /proc/sys/kernel/random/uuid`, become: true }), { runOnce: true, register: 'token' }),
    task('write the token', ({ registered }) => file({ path: '/tmp/token', content: registered!.get('token')!.stdout! })),
    task('hostname of the delegate', ({ host }) => command({ run: sh`hostname > ${`/tmp/delegated-for-${host.name}`}` }), { delegateTo: 'k2' }),
    block(
      'fragile',
      [
        task('fails on k1', ({ host }) => command({ run: host.name === 'k1' ? sh`echo broken >&2; exit 7` : sh`true` })),
        task('after the failure', () => file({ path: '/tmp/block-done', content: 'yes\n' })),
      ],
      {
        rescue: [task('repair', () => file({ path: '/tmp/rescued', content: 'yes\n' }))],
        always: [task('always', () => file({ path: '/tmp/always', content: 'yes\n' }))],
      },
    ),
  ],
});

describe('task keywords over SSH', () => {
  it('runOnce + register, delegateTo, block/rescue/always', async () => {
    const io = captureIo();
    const code = await main([play({ name: 'keywords', hosts: 'nodes', roles: [role] })], ['-i', lab.inventoryPath], io);
    expect(code, io.stdout + io.stderr).toBe(0);
    const cat = async (host: string, path: string) => (await lab.host(host).exec(['sh', '-c', `cat ${path} 2>/dev/null || echo MISSING`])).output.trim();
    const token = await cat('k1', '/tmp/token');
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(await cat('k2', '/tmp/token')).toBe(token);
    // the delegated task ran on k2 for both hosts; k1 has no such file
    const k2name = await cat('k2', '/etc/hostname');
    expect(await cat('k2', '/tmp/delegated-for-k1')).toBe(k2name);
    expect(await cat('k2', '/tmp/delegated-for-k2')).toBe(k2name);
    expect(await cat('k1', '/tmp/delegated-for-k1')).toBe('MISSING');
    // k1 failed in the block: rescued, the rest of the block skipped; k2 went through it
    expect(await cat('k1', '/tmp/rescued')).toBe('yes');
    expect(await cat('k1', '/tmp/block-done')).toBe('MISSING');
    expect(await cat('k2', '/tmp/rescued')).toBe('MISSING');
    expect(await cat('k2', '/tmp/block-done')).toBe('yes');
    for (const h of ['k1', 'k2']) expect(await cat(h, '/tmp/always')).toBe('yes');
    expect(io.stdout).toMatch(/k1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=1\s+ignored=0/);
    expect(io.stdout).toMatch(/k2\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=0\s+ignored=0/);
  });
});

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sh } from '../shell/quote.js';
import { LocalConnection } from './local.js';
import { createTestUser } from './test-users.js';
import { CommandTimeoutError } from './timeout.js';

const run = promisify(execFile);

describe('LocalConnection', () => {
  const controller = (spec: { become?: boolean; becomeUser?: string; commandTimeoutMs?: number } = {}) =>
    new LocalConnection('localhost', { become: false, ...spec });

  it('returns stdout, stderr and the exit code, and counts round trips', async () => {
    const local = controller();
    await local.open();
    expect(await local.exec(sh`printf 'out ü\n'; printf 'err\n' >&2; exit 7`)).toEqual({
      stdout: 'out ü\n',
      stderr: 'err\n',
      code: 7,
    });
    expect(await local.exec(sh`true`)).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(local.roundTrips).toBe(2);
    await local.close();
  });

  it('reports a command killed by a signal with code null', async () => {
    expect((await controller().exec(sh`kill -9 $$`)).code).toBeNull();
  });

  it('pipes binary stdin byte for byte, then EOF', async () => {
    const local = controller();
    const input = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)]);
    const result = await local.exec(sh`sha256sum; wc -c`, { stdin: input });
    expect(result.stdout).toBe(`${createHash('sha256').update(input).digest('hex')}  -\n0\n`);
    expect((await local.exec(sh`cat`)).stdout).toBe(''); // no stdin: EOF at once, no hang
    expect((await local.exec(sh`cat`, { stdin: '' })).stdout).toBe('');
  });

  it('runs as itself when it already is the become user, else through sudo -n -u', async () => {
    const user = await createTestUser({ sudo: false });
    try {
      expect((await controller({ become: true }).exec(sh`id -un`)).stdout).toBe('root\n');
      const asUser = controller({ becomeUser: user.name });
      expect((await asUser.exec(sh`id -un`)).stdout).toBe('root\n');
      expect((await asUser.exec(sh`id -un`, { become: true })).stdout).toBe(`${user.name}\n`);
    } finally {
      await user.remove();
    }
  });

  it('kills a command that outlives timeoutMs', async () => {
    const started = Date.now();
    const timedOut = controller().exec(sh`sleep 63.5`, { timeoutMs: 300 });
    await expect(timedOut).rejects.toThrow(CommandTimeoutError);
    await expect(timedOut).rejects.toThrow('localhost: command timed out after 0.3s: sleep 63.5');
    expect(Date.now() - started).toBeLessThan(3_000);
    const { stdout } = await run('ps', ['-eo', 'args=']);
    expect(stdout.split('\n').filter((args) => args.includes('sleep 63.5'))).toEqual([]);
  });

  // The old code waited for the output to close: until the orphan that holds it ended (12 s).
  it('rejects within its grace when a process that escaped the kill holds the output open', { timeout: 10_000 }, async () => {
    const timedOut = controller().exec(sh`(sleep 12.25 &); sleep 64.5`, { timeoutMs: 300 });
    await expect(timedOut).rejects.toThrow('localhost: command timed out after 0.3s: (sleep 12.25 &); sleep 64.5');
  });

  it('bounds every command by the default ceiling of its connection (commandTimeoutMs)', async () => {
    const timedOut = controller({ commandTimeoutMs: 300 }).exec(sh`sleep 65.5`);
    await expect(timedOut).rejects.toThrow('localhost: command timed out after 0.3s: sleep 65.5');
  });
});

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { UnreachableError } from '../errors.js';
import { sh } from '../shell/quote.js';
import { SshConnection } from './ssh.js';
import { sshSpec, startSshd, useSshd } from './test-sshd.js';
import { CommandTimeoutError } from './timeout.js';
import type { ConnectionSpec } from './types.js';

const run = promisify(execFile);

/** Command lines of all processes on this machine (the test sshd is local). */
async function processes(): Promise<string[]> {
  return (await run('ps', ['-eo', 'args='])).stdout.split('\n');
}

describe('SshConnection exec (real sshd on loopback)', () => {
  const server = useSshd();

  it('returns stdout, stderr and the exit code, and counts round trips', async () => {
    const lab1 = server.connect();
    const result = await lab1.exec(sh`printf 'out ü\n'; printf 'err\n' >&2; exit 7`);
    expect(result).toEqual({ stdout: 'out ü\n', stderr: 'err\n', code: 7 });
    expect(await lab1.exec(sh`true`)).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(lab1.roundTrips).toBe(2);
  });

  it('reports a command killed by a signal with code null', async () => {
    const result = await server.connect().exec(sh`kill -9 $$`);
    expect(result.code).toBeNull();
  });

  it('pipes binary stdin byte for byte, then EOF', async () => {
    const lab1 = server.connect();
    const input = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)]);
    const result = await lab1.exec(sh`sha256sum; wc -c`, { stdin: input });
    // sha256sum reads to EOF, so wc sees nothing left.
    expect(result.stdout).toBe(`${createHash('sha256').update(input).digest('hex')}  -\n0\n`);
    expect((await lab1.exec(sh`cat`)).stdout).toBe(''); // no stdin: EOF at once, no hang
    expect((await lab1.exec(sh`cat`, { stdin: 'text ✓' })).stdout).toBe('text ✓');
  });

  it('runs 50 concurrent execs over ONE TCP connection', async () => {
    const loginsBefore = server.sshd.acceptedLogins();
    const lab1 = server.connect();
    // Each command lasts a while, so that far more than sshd's MaxSessions (10) overlap.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => lab1.exec(sh`sleep 0.1; echo ${i}`)),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}\n`));
    expect(results.every((r) => r.code === 0)).toBe(true);
    expect(lab1.roundTrips).toBe(50);
    expect(server.sshd.acceptedLogins() - loginsBefore).toBe(1);
  });

  it('shares one pending open between concurrent callers', async () => {
    const loginsBefore = server.sshd.acceptedLogins();
    const lab1 = server.connect();
    await Promise.all([lab1.open(), lab1.open(), lab1.exec(sh`true`)]);
    await lab1.open();
    expect(server.sshd.acceptedLogins() - loginsBefore).toBe(1);
  });

  it('times out a command, kills it on the host and stays usable', async () => {
    const lab1 = server.connect();
    const started = Date.now();
    const timedOut = lab1.exec(sh`sleep 61.25`, { timeoutMs: 300 });
    await expect(timedOut).rejects.toThrow(CommandTimeoutError);
    await expect(timedOut).rejects.toThrow('lab1: command timed out after 0.3s: sleep 61.25');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await processes()).filter((args) => args.includes('sleep 61.25'))).toEqual([]);
    // Timed-out commands must not keep their sshd sessions (MaxSessions 10).
    const many = Array.from({ length: 12 }, () => lab1.exec(sh`sleep 30`, { timeoutMs: 200 }));
    for (const outcome of await Promise.allSettled(many)) expect(outcome.status).toBe('rejected');
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => lab1.exec(sh`echo ${i}`)));
    expect(after.map((r) => r.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => `${i}\n`));
  });

  /**
   * Runs `exec` on a connection to an sshd of its own, freezes that sshd once
   * the command has started, and returns the exec's promise. The sshd and the
   * connection end with the test, however it ends.
   */
  async function execThenFreeze(exec: (conn: SshConnection, marker: string) => Promise<unknown>, spec: Partial<ConnectionSpec> = {}) {
    const sshd = await startSshd(); // its own: this test freezes it
    const lab1 = new SshConnection('lab1', sshSpec(sshd, { user: server.user, ...spec }));
    const marker = join(tmpdir(), `labwright-started-${randomBytes(4).toString('hex')}`);
    onTestFinished(async () => {
      await sshd.stop();
      await lab1.close();
      await rm(marker, { force: true });
    });
    const pending = exec(lab1, marker);
    pending.catch(() => {}); // Asserted by the caller.
    for (let waited = 0; !existsSync(marker); waited += 10) {
      if (waited > 10_000) throw new Error('the remote command did not start');
      await sleep(10);
    }
    await sshd.freeze();
    return { lab1, pending };
  }

  // The old code waited for the frozen server's channel close, then for ssh keepalives to give up: about 58 s.
  it('rejects a timed-out command within its grace when the sshd is frozen, and drops the connection', { timeout: 20_000 }, async () => {
    const { lab1, pending } = await execThenFreeze((conn, marker) => conn.exec(sh`touch ${marker}; sleep 1; echo done`, { timeoutMs: 1_000 }));
    await expect(pending).rejects.toThrow(CommandTimeoutError);
    await expect(pending).rejects.toThrow(/^lab1: command timed out after 1s: touch \S+; sleep 1; echo done$/);
    await expect(lab1.exec(sh`true`)).rejects.toThrow(/^lab1: unreachable: .*`touch \S+; sleep 1; echo done` timed out/);
  });

  it('bounds every command by the connection\'s default ceiling (commandTimeoutMs)', { timeout: 20_000 }, async () => {
    const { pending } = await execThenFreeze((conn, marker) => conn.exec(sh`touch ${marker}; sleep 1`), { commandTimeoutMs: 1_500 });
    await expect(pending).rejects.toThrow('lab1: command timed out after 1.5s: touch');
  });

  it('rejects execs after close()', async () => {
    const lab1 = server.connect();
    await lab1.exec(sh`true`);
    await lab1.close();
    await expect(lab1.exec(sh`true`)).rejects.toThrow('lab1: unreachable: the connection was closed');
  });

  it('rejects the pending exec and every later one with UnreachableError when the server dies', async () => {
    const sshd = await startSshd(); // its own: this test kills it
    const lab1 = new SshConnection('lab1', sshSpec(sshd, { user: server.user }));
    const marker = join(tmpdir(), `labwright-started-${randomBytes(4).toString('hex')}`);
    try {
      const pending = lab1.exec(sh`touch ${marker}; sleep 30`);
      pending.catch(() => {}); // Asserted below, after the kill.
      for (let waited = 0; !existsSync(marker); waited += 10) {
        if (waited > 10_000) throw new Error('the remote command did not start');
        await sleep(10);
      }
      const killedAt = Date.now();
      await sshd.kill();
      await expect(pending).rejects.toThrow(UnreachableError);
      await expect(pending).rejects.toThrow(/^lab1: unreachable: (connection closed by the remote host|connection reset)/);
      expect(Date.now() - killedAt).toBeLessThan(2_000);
      await expect(lab1.exec(sh`true`)).rejects.toThrow(UnreachableError);
    } finally {
      await lab1.close();
      await sshd.stop();
      await rm(marker, { force: true });
    }
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../secret.js';
import { sh } from '../shell/quote.js';
import { BecomePasswordRejected } from './sudo-password.js';
import { useSshd } from './test-sshd.js';
import { createTestUser, type TestUser } from './test-users.js';

const PASSWORD = 'sudo-pass-\u00e9 with spaces';

describe('become with a password over ssh (real sshd and sudo, throwaway users)', () => {
  const server = useSshd();
  let asker: TestUser;
  let noPassword: TestUser;

  beforeAll(async () => {
    // sudo asks `asker` for their own password; `noPassword` may sudo without one (NOPASSWD).
    [asker, noPassword] = await Promise.all([createTestUser({ sudo: 'password', password: PASSWORD }), createTestUser({ sudo: true })]);
  });
  afterAll(async () => {
    await Promise.all([asker?.remove(), noPassword?.remove()]);
  });

  it('without a become password, sudo -n fails at once ("a password is required")', async () => {
    const result = await server.connect({ user: asker.name }).exec(sh`id -un`, { become: true, timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/a password is required/);
  });

  it('sends the password to sudo -S on stdin: runs as root, the command gets its own stdin, no prompt on stderr', async () => {
    const connection = server.connect({ user: asker.name, becomePassword: secret(PASSWORD) });
    for (let round = 0; round < 2; round++) {
      // Twice: sudo's cached credentials must not leave the password line for the command (-k).
      const result = await connection.exec(sh`id -un; cat; echo done >&2`, { become: true, stdin: 'piped input\n' });
      expect(result).toEqual({ stdout: 'root\npiped input\n', stderr: 'done\n', code: 0 });
    }
    const empty = await connection.exec(sh`cat; id -un`, { become: true });
    expect(empty.stdout).toBe('root\n');
  });

  it('never puts the password on a command line', async () => {
    const connection = server.connect({ user: asker.name, becomePassword: secret(PASSWORD) });
    // What the command sees as the command lines of its ancestors (sudo, sh, timeout) and itself.
    const result = await connection.exec(sh`for p in $(ps -o pid= -u root -u ${asker.name}); do tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null; echo; done`, {
      become: true,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sudo -k -S -p');
    expect(result.stdout).not.toContain(PASSWORD);
  });

  it('a wrong password is a clear failure of that host, and the command does not run', async () => {
    const connection = server.connect({ user: asker.name, becomePassword: secret('not the password') });
    const marker = path.join(os.tmpdir(), `labwright-not-run-${randomBytes(4).toString('hex')}`);
    const run = connection.exec(sh`touch ${marker}`, { become: true, stdin: 'secret input\n' });
    await expect(run).rejects.toThrow(BecomePasswordRejected);
    await expect(run).rejects.toThrow('become password rejected by sudo on lab1');
    expect(existsSync(marker)).toBe(false);
  });

  it('a NOPASSWD user with a become password set: sudo -n, stdin untouched', async () => {
    const connection = server.connect({ user: noPassword.name, becomePassword: secret('unused password') });
    const result = await connection.exec(sh`id -un; cat`, { become: true, stdin: 'data\n' });
    expect(result).toMatchObject({ stdout: 'root\ndata\n', code: 0 });
  });
});

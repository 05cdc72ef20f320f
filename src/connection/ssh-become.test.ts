import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../shell/quote.js';
import { useSshd } from './test-sshd.js';
import { createTestUser, type TestUser } from './test-users.js';
import { CommandTimeoutError } from './timeout.js';

const run = promisify(execFile);

describe('become over ssh (real sshd, throwaway users)', () => {
  // Its login user may sudo without a password.
  const server = useSshd();
  let plain: TestUser;

  beforeAll(async () => {
    plain = await createTestUser({ sudo: false });
  });
  afterAll(async () => {
    await plain?.remove();
  });

  it('runs as root through sudo when asked, per exec or for the whole host', async () => {
    const lab1 = server.connect();
    expect((await lab1.exec(sh`id -un`)).stdout).toBe(`${server.user}\n`);
    expect((await lab1.exec(sh`id -un`, { become: true })).stdout).toBe('root\n');
    const alwaysRoot = server.connect({ become: true });
    expect((await alwaysRoot.exec(sh`id -un`)).stdout).toBe('root\n');
    expect((await alwaysRoot.exec(sh`id -un`, { become: false })).stdout).toBe(`${server.user}\n`);
  });

  it('becomes becomeUser', async () => {
    const lab1 = server.connect({ becomeUser: plain.name });
    expect((await lab1.exec(sh`id -un`, { become: true })).stdout).toBe(`${plain.name}\n`);
  });

  it('keeps quoting, stdin, stderr and the exit code intact through sudo', async () => {
    const lab1 = server.connect({ become: true });
    const tricky = `it's "$(id -un)" \`id\` ; exit 9`;
    const result = await lab1.exec(sh`printf %s ${tricky}; cat; echo oops >&2; exit 4`, { stdin: 'piped' });
    expect(result).toMatchObject({ stdout: `${tricky}piped`, code: 4 });
    expect(result.stderr).toContain('oops\n');
  });

  it('fails at once, without waiting for a password, for a user without sudo rights', async () => {
    const lab1 = server.connect({ user: plain.name });
    const started = Date.now();
    // The timeout only keeps a regression (a password prompt) from hanging the test.
    const result = await lab1.exec(sh`id -un`, { become: true, timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/sudo: a password is required/);
  });

  it('kills a timed-out command that runs as root', async () => {
    const lab1 = server.connect({ become: true });
    await expect(lab1.exec(sh`sleep 62.5`, { timeoutMs: 300 })).rejects.toThrow(CommandTimeoutError);
    const { stdout } = await run('ps', ['-eo', 'args=']);
    expect(stdout.split('\n').filter((args) => args.includes('sleep 62.5'))).toEqual([]);
  });
});

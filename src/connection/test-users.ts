/**
 * Test helper: throwaway local users (root only), with or without
 * passwordless sudo, for become tests. Always `remove()` them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestUser {
  readonly name: string;
  remove(): Promise<void>;
}

export interface TestUserOptions {
  /** `NOPASSWD: ALL` in /etc/sudoers.d (`'password'`: `ALL`, sudo asks for the user's password); otherwise no sudo rights. */
  sudo: boolean | 'password';
  /** A login password; otherwise the password field is `*` (no password, but not locked for keys). */
  password?: string;
  /** Login shell (default /bin/sh); sshd runs every command through it. */
  shell?: string;
}

export async function createTestUser(options: TestUserOptions): Promise<TestUser> {
  const name = `lw${options.sudo ? 'sudo' : 'user'}${randomBytes(3).toString('hex')}`;
  // A home dir: sshd chdirs to it (and complains on stderr if it cannot).
  await run('useradd', ['--create-home', '--shell', options.shell ?? '/bin/sh', '--password', '*', name]);
  const sudoers = `/etc/sudoers.d/labwright-test-${name}`;
  if (options.password !== undefined) await chpasswd(name, options.password);
  if (options.sudo) {
    const rule = options.sudo === 'password' ? 'ALL' : 'NOPASSWD: ALL';
    await writeFile(sudoers, `${name} ALL=(ALL:ALL) ${rule}\n`, { mode: 0o440 });
    await run('visudo', ['-c', '-q', '-f', sudoers]);
  }
  return {
    name,
    remove: async () => {
      await rm(sudoers, { force: true });
      await run('userdel', ['--remove', name]).catch(() => run('userdel', ['--force', '--remove', name]));
    },
  };
}

async function chpasswd(name: string, password: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('chpasswd', (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(`${name}:${password}\n`);
  });
}

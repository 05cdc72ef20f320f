import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { useSshd } from '../connection/test-sshd.js';
import { createTestUser, type TestUser } from '../connection/test-users.js';
import { defineRole, play } from '../engine/definitions.js';
import { command } from '../ops/index.js';
import { sh } from '../shell/quote.js';
import { VaultKeyring } from './keyring.js';

/*
 * The whole path on a real sshd and sudo: a vault-encrypted host_vars file
 * holds ansible_become_password, `--vault-password-file` opens it, and a play's
 * become task runs as root through `sudo -S`; a wrong password fails that host
 * with the reason, and the password is never in the output.
 */

const SUDO_PASSWORD = 'sudo-from-the-vault \u00e9';
const VAULT_PASSWORD = 'e2e vault password';

describe('become password from a vault, end to end (real sshd and sudo)', () => {
  const server = useSshd();
  let user: TestUser;
  let dir: string;
  let marker: string;
  let stateDir: string;

  beforeAll(async () => {
    user = await createTestUser({ sudo: 'password', password: SUDO_PASSWORD });
    dir = await mkdtemp(path.join(os.tmpdir(), 'labwright-become-e2e-'));
    marker = path.join(os.tmpdir(), `labwright-become-e2e-${randomBytes(4).toString('hex')}`);
    await writeFile(path.join(dir, 'vault-password'), `${VAULT_PASSWORD}\n`);
    // The run lock's directory, writable by the throwaway login user.
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'labwright-become-e2e-state-'));
    await chmod(stateDir, 0o777);
  });
  afterAll(async () => {
    await user?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
    await rm(marker, { force: true });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  const whoami = defineRole({
    name: 'whoami',
    vars: z.object({}),
    tasks: ({ task }) => [task('write who I am', () => command({ run: sh`id -un > ${marker}`, become: true }))],
  });
  const plays = [play({ name: 'become', hosts: 'lab', roles: [whoami] })];

  async function inventoryWith(sudoPassword: string): Promise<string> {
    const root = await mkdtemp(path.join(dir, 'inv-'));
    await mkdir(path.join(root, 'host_vars'));
    const keyring = new VaultKeyring([{ id: 'default', password: Buffer.from(VAULT_PASSWORD) }]);
    await writeFile(path.join(root, 'host_vars', 'lab1.yml'), keyring.encrypt(`ansible_become_password: "${sudoPassword}"\n`));
    const { sshd } = server;
    await writeFile(
      path.join(root, 'hosts.yml'),
      [
        'all:',
        '  children:',
        '    lab:',
        '      hosts:',
        '        lab1:',
        `          ansible_host: 127.0.0.1`,
        `          ansible_port: ${sshd.port}`,
        `          ansible_user: ${user.name}`,
        `          ansible_ssh_private_key_file: ${sshd.clientKeyFile}`,
        `          known_hosts_file: ${sshd.knownHostsFile}`,
        `          labwright_state_dir: ${stateDir}`,
        '',
      ].join('\n'),
    );
    return path.join(root, 'hosts.yml');
  }

  it('runs the become task as root with the password from the vault', async () => {
    const io = captureIo();
    const code = await main(plays, ['-i', await inventoryWith(SUDO_PASSWORD), '--vault-password-file', path.join(dir, 'vault-password')], io);
    expect(code, io.text()).toBe(0);
    expect(io.stdout).toContain('changed: [lab1]');
    expect(await readFile(marker, 'utf8')).toBe('root\n');
    expect(io.text()).not.toContain(SUDO_PASSWORD);
  });

  it('a wrong password in the vault: that host fails with "become password rejected by sudo", exit 2, the password never shown', async () => {
    await rm(marker, { force: true });
    const io = captureIo();
    const code = await main(plays, ['-i', await inventoryWith('wrong-password-1234'), '--vault-password-file', path.join(dir, 'vault-password')], io);
    expect(code).toBe(2);
    expect(io.text()).toContain('become password rejected by sudo on lab1');
    expect(io.text()).not.toContain('wrong-password-1234');
    expect(existsSync(marker)).toBe(false);
  });
});

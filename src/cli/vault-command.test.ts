import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { findOnPath } from '../../test/support/on-path.js';
import { loadInventory } from '../inventory/index.js';
import type { Secret } from '../secret.js';
import { VaultKeyring } from '../vault/keyring.js';
import { runLabwright } from './labwright.js';

const run = promisify(execFile);
const PASSWORD = 'labwright vault command';
const PLAIN = 'wifi_psk: "correct horse \u2603"\nport: 22\n';
let dir: string;
let passwordFile: string;
let wrongFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'labwright-vault-cmd-'));
  passwordFile = path.join(dir, 'password');
  wrongFile = path.join(dir, 'wrong');
  await writeFile(passwordFile, `${PASSWORD}\n`);
  await writeFile(wrongFile, 'not it\n');
  await writeFile(path.join(dir, 'ansible.cfg'), '');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function labwright(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(['vault', ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright vault', () => {
  it('encrypt then view and decrypt in place; the file mode is kept', async () => {
    const file = path.join(dir, 'secrets.yml');
    await writeFile(file, PLAIN);
    await chmod(file, 0o640);
    expect(await labwright('encrypt', '--vault-password-file', passwordFile, file)).toMatchObject({ code: 0, stderr: 'Encryption successful\n' });
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await labwright('view', '--vault-password-file', passwordFile, file)).toMatchObject({ code: 0, stdout: PLAIN });
    expect(await labwright('decrypt', '--vault-password-file', passwordFile, file)).toMatchObject({ code: 0 });
    expect(await readFile(file, 'utf8')).toBe(PLAIN);
  });

  it('encrypt --vault-id label@file writes a 1.2 header; --output keeps the input', async () => {
    const file = path.join(dir, 'plain.yml');
    const out = path.join(dir, 'out.yml');
    await writeFile(file, PLAIN);
    await labwright('encrypt', '--vault-id', `prod@${passwordFile}`, '--output', out, file);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(await readFile(file, 'utf8')).toBe(PLAIN);
  });

  it('encrypt_string prints a !vault value the inventory loader decrypts', async () => {
    const { code, stdout } = await labwright('encrypt_string', '--vault-password-file', passwordFile, '--name', 'api_token', 'tok-123456');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^api_token: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]{1,80}\n)+$/);
    const inventory = path.join(dir, 'inline.yml');
    await writeFile(inventory, `all:\n  vars:\n${stdout.replace(/^/gm, '    ').trimEnd()}\n  hosts:\n    gw1: {}\n`);
    const keyring = new VaultKeyring([{ id: 'default', password: Buffer.from(PASSWORD) }]);
    const { vars } = (await loadInventory([inventory], { vault: keyring })).hosts.get('gw1')!;
    expect((vars.api_token as Secret).reveal()).toBe('tok-123456');
  });

  it('a wrong password is exit 4 naming the file; encrypting vault data again is refused; no password is exit 5', async () => {
    const file = path.join(dir, 'locked.yml');
    await writeFile(file, new VaultKeyring([{ id: 'default', password: Buffer.from(PASSWORD) }]).encrypt(PLAIN));
    const before = await readFile(file, 'utf8');
    const wrong = await labwright('decrypt', '--vault-password-file', wrongFile, file);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain(`ERROR: ${file}: cannot decrypt the vault data`);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await labwright('encrypt', '--vault-password-file', passwordFile, file)).toMatchObject({ code: 1, stderr: expect.stringContaining('is already vault-encrypted') });
    expect(await labwright('view', file)).toMatchObject({ code: 5, stderr: expect.stringContaining('no vault password') });
    expect(await labwright('rekey', file)).toMatchObject({ code: 5, stderr: expect.stringContaining('unknown vault action "rekey"') });
  });

  it('labwright inventory --vault-password-file decrypts the vault and shows its values masked', async () => {
    const inventory = path.join(dir, 'inv.yml');
    const { stdout: value } = await labwright('encrypt_string', '--vault-password-file', passwordFile, '--name', 'api_token', 'tok-123456');
    await writeFile(inventory, `all:\n  hosts:\n    gw1:\n${value.replace(/^/gm, '      ').trimEnd()}\n`);
    const io = captureIo();
    expect(await runLabwright(['inventory', '-i', inventory, '--host', 'gw1', '--vault-password-file', passwordFile], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ api_token: '********' });
    const locked = captureIo();
    expect(await runLabwright(['inventory', '-i', inventory, '--list'], locked)).toBe(4);
    expect(locked.stderr).toContain('all.hosts.gw1.api_token is vault-encrypted; give --vault-password-file or --ask-vault-pass');
  });
});

const ansibleVault = findOnPath('ansible-vault');
if (!ansibleVault) console.warn('SKIPPED labwright vault vs ansible-vault: ansible-vault is not on PATH (install ansible-core to compare)');

describe.skipIf(!ansibleVault)('labwright vault and the real ansible-vault read each other', () => {
  const ansible = (...args: string[]) =>
    run(ansibleVault!, args, { env: { ...process.env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_HOME: path.join(dir, '.ansible') } });

  it('ansible-vault views what labwright vault encrypted (1.1 and 1.2)', async () => {
    const file = path.join(dir, 'ours.yml');
    await writeFile(file, PLAIN);
    await labwright('encrypt', '--vault-id', `lab@${passwordFile}`, file);
    expect((await ansible('view', '--vault-id', `lab@${passwordFile}`, file)).stdout).toBe(PLAIN);
  });

  it('labwright vault decrypts what ansible-vault encrypted, and an encrypt_string value', async () => {
    const file = path.join(dir, 'theirs.yml');
    await writeFile(file, PLAIN);
    await ansible('encrypt', '--vault-password-file', passwordFile, file);
    expect(await labwright('view', '--vault-password-file', passwordFile, file)).toMatchObject({ code: 0, stdout: PLAIN });
    const { stdout } = await ansible('encrypt_string', '--vault-password-file', passwordFile, '--name', 'x', 'from-ansible');
    const data = path.join(dir, 'string.txt');
    await writeFile(data, stdout.replace(/^x: !vault \|\n/, '').replace(/^ +/gm, ''));
    expect(await labwright('view', '--vault-password-file', passwordFile, data)).toMatchObject({ code: 0, stdout: 'from-ansible' });
  });
});

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { parseCliOptions, readExtraVars } from '../cli/options.js';
import { loadInventory } from '../inventory/index.js';
import { isSecret, redact, type Secret } from '../secret.js';
import { VaultKeyring } from './keyring.js';

const PASSWORD = 'vault test password';
const keyring = (password = PASSWORD, id = 'default') => new VaultKeyring([{ id, password: Buffer.from(password) }]);
const encrypt = (text: string, id?: string) => keyring(PASSWORD, id ?? 'default').encrypt(text, id);
/** `key: !vault |` and the indented vault data of `value`, as ansible-vault encrypt_string prints it. */
const inline = (key: string, value: string, indent = '') =>
  `${indent}${key}: !vault |\n${encrypt(value).trimEnd().split('\n').map((line) => `${indent}  ${line}`).join('\n')}\n`;

let dir: string;
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, name);
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), text);
  }
  return root;
}
const errorOf = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error & { exitCode?: number }) => error);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'labwright-vault-load-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const INVENTORY = 'all:\n  children:\n    k8s:\n      hosts:\n        cp1: {ansible_host: 10.0.0.11}\n        w1: {}\n';

describe('vault-encrypted vars files and values in an inventory', () => {
  it('reads an encrypted group_vars/<group>/ file: its strings are Secrets, numbers and booleans keep their type', async () => {
    const root = await tree('group-dir', {
      'hosts.yml': INVENTORY,
      'group_vars/k8s/vars.yml': 'k3s_token: "{{ vault_k3s_token }}"\n',
      'group_vars/k8s/vault.yml': encrypt('vault_k3s_token: K10abc::server:xyz\nvault_port: 6443\nvault_on: yes\nvault_user: pi\nvault_list: [first-secret]\n'),
    });
    const inventory = await loadInventory([path.join(root, 'hosts.yml')], { vault: keyring() });
    const vars = inventory.hosts.get('cp1')!.vars;
    expect(isSecret(vars.vault_k3s_token)).toBe(true);
    expect((vars.vault_k3s_token as Secret).reveal()).toBe('K10abc::server:xyz');
    expect(vars).toMatchObject({ vault_port: 6443, vault_on: true, vault_user: 'pi' });
    expect((vars.vault_list as Secret[]).map((s) => s.reveal())).toEqual(['first-secret']);
    expect(redact(JSON.stringify(vars))).not.toContain('K10abc');
    expect(inventory.origin('cp1', 'vault_k3s_token')).toMatch(/group_vars\/k8s\/vault\.yml:1:1$/);
  });

  it('reads an encrypted host_vars/<host>.yml and a whole encrypted inventory file', async () => {
    const root = await tree('host-file', {
      'hosts.yml': encrypt(INVENTORY + '  vars:\n    ntp_server: time.example.org\n'),
      'host_vars/w1.yml': encrypt('wg_private_key: wg-key-w1\n'),
    });
    const inventory = await loadInventory([path.join(root, 'hosts.yml')], { vault: keyring() });
    expect([...inventory.hosts.keys()]).toEqual(['cp1', 'w1']);
    expect(inventory.hosts.get('cp1')!.connection.address).toBe('10.0.0.11');
    expect((inventory.hosts.get('w1')!.vars.ntp_server as Secret).reveal()).toBe('time.example.org');
    expect((inventory.hosts.get('w1')!.vars.wg_private_key as Secret).reveal()).toBe('wg-key-w1');
  });

  it('a become password from a vault reaches the connection (sudo -S), masked', async () => {
    const root = await tree('become', {
      'hosts.yml': INVENTORY,
      'host_vars/cp1/vault.yml': encrypt('ansible_become_password: sudo-from-vault\n'),
    });
    const { connection } = (await loadInventory([path.join(root, 'hosts.yml')], { vault: keyring() })).hosts.get('cp1')!;
    expect(connection.becomePassword?.reveal()).toBe('sudo-from-vault');
    expect(JSON.stringify(connection)).not.toContain('sudo-from-vault');
  });

  it('reads a whole encrypted INI inventory: string values are Secrets, mtu=9000 stays a number; a wrong password never falls back to reading the ciphertext as INI', async () => {
    const root = await tree('ini', { 'hosts.ini': encrypt('[nas]\nnas1 nfs_secret=nfs-token-1 mtu=9000\n\n[nas:vars]\nsmb_password="smb pass"\n') });
    const { vars } = (await loadInventory([path.join(root, 'hosts.ini')], { vault: keyring() })).hosts.get('nas1')!;
    expect(vars.mtu).toBe(9000);
    expect((vars.nfs_secret as Secret).reveal()).toBe('nfs-token-1');
    expect((vars.smb_password as Secret).reveal()).toBe('smb pass');
    const error = await errorOf(loadInventory([path.join(root, 'hosts.ini')], { vault: keyring('wrong') }));
    expect(error!.message).toMatch(/hosts\.ini: cannot decrypt the vault data/);
  });

  it('decrypts inline !vault values (encrypt_string) into Secrets, in the inventory and in vars files', async () => {
    const root = await tree('inline', {
      'hosts.yml': `all:\n  hosts:\n    gw1:\n${inline('wifi_psk', 'correct-horse', '      ')}  vars:\n${inline('api_key', 'k-123456', '    ')}`,
      'group_vars/all.yml': inline('smtp_password', 'mail-pass'),
    });
    const { vars } = (await loadInventory([path.join(root, 'hosts.yml')], { vault: keyring() })).hosts.get('gw1')!;
    expect(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, isSecret(v) ? `secret:${v.reveal()}` : v]))).toEqual({
      wifi_psk: 'secret:correct-horse',
      api_key: 'secret:k-123456',
      smtp_password: 'secret:mail-pass',
    });
  });

  it('a wrong password: exit 4 naming the file (and line and key for an inline value), never the ciphertext', async () => {
    const data = encrypt('a: secret-value\n');
    const root = await tree('wrong', {
      'hosts.yml': INVENTORY,
      'group_vars/all/vault.yml': data,
      'inline/hosts.yml': `all:\n  vars:\n${inline('api_key', 'k-123456', '    ')}`,
    });
    const error = await errorOf(loadInventory([path.join(root, 'hosts.yml')], { vault: keyring('not the password') }));
    expect(error).toMatchObject({ exitCode: 4 });
    expect(error!.message).toMatch(/group_vars\/all\/vault\.yml: cannot decrypt the vault data with the vault password\(s\) given/);
    expect(error!.message).not.toContain(data.split('\n')[1].slice(0, 20));
    const inlineError = await errorOf(loadInventory([path.join(root, 'inline/hosts.yml')], { vault: keyring('not the password') }));
    expect(inlineError!.message).toMatch(/inline\/hosts\.yml:3:5: all\.vars\.api_key: cannot decrypt/);
  });

  it('vault data and no password: exit 4 "… is vault-encrypted; give --vault-password-file or --ask-vault-pass"', async () => {
    const root = await tree('nopass', {
      'hosts.yml': INVENTORY,
      'group_vars/all/vault.yml': encrypt('a: secret-value\n'),
      'inline/hosts.yml': `all:\n  vars:\n${inline('api_key', 'k-123456', '    ')}`,
    });
    const error = await errorOf(loadInventory([path.join(root, 'hosts.yml')]));
    expect(error).toMatchObject({ exitCode: 4 });
    expect(error!.message).toBe(`${path.join(root, 'group_vars/all/vault.yml')} is vault-encrypted; give --vault-password-file or --ask-vault-pass`);
    expect((await errorOf(loadInventory([path.join(root, 'inline/hosts.yml')])))!.message).toMatch(
      /inline\/hosts\.yml:3:5: all\.vars\.api_key is vault-encrypted; give --vault-password-file/,
    );
  });

  it('an inline vault value of 1 to 3 characters is refused with where it is (masking it would reveal it)', async () => {
    const root = await tree('short', { 'hosts.yml': `all:\n  vars:\n${inline('pin', '123', '    ')}` });
    const error = await errorOf(loadInventory([path.join(root, 'hosts.yml')], { vault: keyring() }));
    expect(error!.message).toMatch(/hosts\.yml:3:5: all\.vars\.pin: the vault value has 3 character\(s\)/);
  });

  it('-e @file: an encrypted extra vars file', async () => {
    const root = await tree('extra', { 'secrets.yml': encrypt('db_password: hunter2-long\n') });
    const vars = readExtraVars(`@${path.join(root, 'secrets.yml')}`, keyring());
    expect((vars.db_password as Secret).reveal()).toBe('hunter2-long');
    expect(() => readExtraVars(`@${path.join(root, 'secrets.yml')}`)).toThrow(/secrets\.yml is vault-encrypted; give --vault-password-file/);
  });
});

describe('vault password sources on the command line', () => {
  let root: string;
  let inventory: string;
  beforeAll(async () => {
    root = await tree('cli', {
      'hosts.yml': `all:\n  hosts:\n    gw1:\n${inline('wifi_psk', 'correct-horse', '      ')}`,
      'group_vars/all/prod.yml': encrypt('prod_token: prod-token-value\n', 'prod'),
      'password.txt': `  ${PASSWORD}\n\n`,
      'wrong.txt': 'wrong password\n',
      'password.sh': `#!/bin/sh\nprintf '%s\\r\\n' '${PASSWORD}'\n`,
      'vault-client': `#!/bin/sh\n[ "$1 $2" = "--vault-id prod" ] && echo '${PASSWORD}' && exit 0\nexit 2\n`,
      'failing.sh': '#!/bin/sh\necho nope >&2\nexit 3\n',
    });
    await chmod(path.join(root, 'password.sh'), 0o755);
    await chmod(path.join(root, 'vault-client'), 0o755);
    await chmod(path.join(root, 'failing.sh'), 0o755);
    inventory = path.join(root, 'hosts.yml');
  });
  const load = (...flags: string[]) => {
    const opts = parseCliOptions(['-i', inventory, ...flags]);
    return loadInventory(opts.inventory, { vault: opts.vault, extraVars: opts.extraVars });
  };
  const psk = async (...flags: string[]) => ((await load(...flags)).hosts.get('gw1')!.vars.wifi_psk as Secret).reveal();

  it('--vault-password-file: a file (surrounding whitespace stripped) or an executable script whose stdout is the password', async () => {
    expect(await psk('--vault-password-file', path.join(root, 'password.txt'))).toBe('correct-horse');
    expect(await psk('--vault-password-file', path.join(root, 'password.sh'))).toBe('correct-horse');
  });

  it('--vault-id label@source, a -client script asked with --vault-id, and the label tried first then all', async () => {
    const inv = await load('--vault-id', `dev@${path.join(root, 'wrong.txt')}`, '--vault-id', `prod@${path.join(root, 'vault-client')}`);
    expect((inv.hosts.get('gw1')!.vars.prod_token as Secret).reveal()).toBe('prod-token-value');
    expect(await psk('--vault-id', path.join(root, 'wrong.txt'), '--vault-id', `x@${path.join(root, 'password.txt')}`)).toBe('correct-horse');
  });

  it('ANSIBLE_VAULT_PASSWORD_FILE, as Ansible', async () => {
    const saved = process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    process.env.ANSIBLE_VAULT_PASSWORD_FILE = path.join(root, 'password.txt');
    try {
      expect(await psk()).toBe('correct-horse');
    } finally {
      if (saved === undefined) delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
      else process.env.ANSIBLE_VAULT_PASSWORD_FILE = saved;
    }
  });

  it('a missing file or a failing script is exit 5 naming it', () => {
    expect(() => parseCliOptions(['-i', inventory, '--vault-password-file', '/nonexistent/pw'])).toThrow(
      expect.objectContaining({ exitCode: 5, message: expect.stringContaining('the vault password file /nonexistent/pw was not found') }),
    );
    expect(() => parseCliOptions(['-i', inventory, '--vault-password-file', path.join(root, 'failing.sh')])).toThrow(
      /vault password script .*failing\.sh failed: it exited with 3/,
    );
    expect(() => parseCliOptions(['-i', inventory, '--vault-id', `dev@${path.join(root, 'vault-client')}`])).toThrow(
      /it has no password for vault id "dev" \(exit 2\)/,
    );
  });

  it('the CLI: a wrong password is exit 4 naming file:line and key, the ciphertext never printed', async () => {
    const io = captureIo();
    const code = await main([], ['-i', inventory, '--list-hosts', '--vault-password-file', path.join(root, 'wrong.txt')], io);
    expect(code).toBe(4);
    expect(io.stderr).toMatch(/^ERROR: .*hosts\.yml:4:7: all\.hosts\.gw1\.wifi_psk: cannot decrypt the vault data/);
    expect(io.stderr).not.toMatch(/[0-9a-f]{40}/);
    expect(io.stderr).not.toContain('ERROR (unexpected');
  });
});

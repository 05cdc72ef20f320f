import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../test/support/on-path.js';
import { decryptPayload, encryptPayload } from './aes256.js';
import { formatEnvelope, isVaultText, parseEnvelope } from './envelope.js';
import { tryOrder, VaultKeyring } from './keyring.js';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery';
const keyring = (...secrets: [string, string][]) =>
  new VaultKeyring(secrets.map(([id, password]) => ({ id, password: Buffer.from(password) })));

/*
 * Known vectors, made by Ansible's own code (ansible-core 2.14,
 * ansible.parsing.vault.VaultLib.encrypt with a fixed salt):
 *   VaultLib([('default', s)]).encrypt(plaintext, secret=s, vault_id=…, salt=…)
 * with s = VaultSecret(b'correct horse battery').
 */
const VECTORS = [
  {
    name: '1.1, a short text',
    plaintext: Buffer.from('hello vault\n'),
    salt: Buffer.from('labwright-known-vector-salt-0001'),
    vaultId: undefined,
    text: `$ANSIBLE_VAULT;1.1;AES256
36633631363237373732363936373638373432643662366536663737366532643736363536333734
3666373232643733363136633734326433303330333033310a363934646539316633376363393737
65343530376232333565666633653834616333346565323731306230396161656231373961373632
6632396361666434650a343130343861666131366331323438326330616634653233623639323531
6165
`,
  },
  {
    name: '1.2 with vault id "prod", UTF-8 of exactly 30 bytes',
    plaintext: Buffer.from('p\u00e4ssw\u00f6rd \u2603 sixteen bytes!!'),
    salt: Buffer.from([0x00, 0x01, ...Buffer.from('salt')]),
    vaultId: 'prod',
    text: `$ANSIBLE_VAULT;1.2;AES256;prod
3030303137333631366337340a306537653662386439656532323430626530666134653761393636
373837373137343637336334633038353337383234353535643732383563366337623463320a3662
64373132636336373565653939626363343632366132626431386561353531313139626432353932
34316566336261666664643666616464333735626363
`,
  },
  {
    name: 'empty plaintext (a whole block of padding)',
    plaintext: Buffer.alloc(0),
    salt: Buffer.from('x'),
    vaultId: undefined,
    text: `$ANSIBLE_VAULT;1.1;AES256
37380a62333531616535623536343739343864323336383463396336313734323661373136663239
3835343061663936363737633530653462383932353533633839610a326630633166356237643439
3535353831373838373262363530393335313538
`,
  },
];

describe('Ansible Vault AES256 (known vectors from ansible-core)', () => {
  it.each(VECTORS)('decrypts $name', ({ text, plaintext, vaultId }) => {
    expect(parseEnvelope(text).vaultId).toBe(vaultId);
    expect(keyring(['default', PASSWORD]).decrypt(text, 'vector')).toEqual(plaintext);
  });

  it.each(VECTORS)('encrypts $name byte for byte as Ansible does with the same salt', ({ text, plaintext, salt, vaultId }) => {
    expect(formatEnvelope(encryptPayload(plaintext, Buffer.from(PASSWORD), salt), vaultId)).toBe(text);
  });

  it('round-trips random data with a random salt, and two encryptions differ', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    const a = encryptPayload(data, Buffer.from('pw'));
    expect(decryptPayload(a, Buffer.from('pw'))).toEqual(data);
    expect(encryptPayload(data, Buffer.from('pw'))).not.toBe(a);
  });

  it('refuses a wrong password, naming where, never printing the ciphertext', () => {
    const { text } = VECTORS[0];
    const attempt = () => keyring(['default', 'wrong password']).decrypt(text, 'group_vars/all/vault.yml');
    expect(attempt).toThrow(expect.objectContaining({ exitCode: 4 }));
    expect(attempt).toThrow(/^group_vars\/all\/vault\.yml: cannot decrypt the vault data .*wrong password, or the data was changed/);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const line of text.split('\n').slice(1).filter(Boolean)) expect(message).not.toContain(line.slice(0, 16));
  });

  it('refuses tampered data: one changed ciphertext byte fails the HMAC check', () => {
    const { text } = VECTORS[0];
    const envelope = parseEnvelope(text);
    const inner = Buffer.from(envelope.payload, 'hex').toString('latin1');
    const last = inner.at(-1) === '0' ? '1' : '0';
    const tampered = formatEnvelope(Buffer.from(inner.slice(0, -1) + last, 'latin1').toString('hex'));
    expect(() => keyring(['default', PASSWORD]).decrypt(tampered, 'f.yml')).toThrow(/f\.yml: cannot decrypt/);
  });

  it('refuses malformed data with what is wrong, and says when no password was given', () => {
    expect(() => keyring(['default', PASSWORD]).decrypt('$ANSIBLE_VAULT;1.1;AES256\nzz\n', 'f.yml')).toThrow(
      /f\.yml: not valid vault data: the payload is not hexadecimal/,
    );
    expect(() => keyring(['default', PASSWORD]).decrypt('$ANSIBLE_VAULT;1.1;AES128\n00\n', 'f.yml')).toThrow(/only AES256/);
    expect(() => new VaultKeyring().decrypt(VECTORS[0].text, 'inv/vault.yml')).toThrow(
      /^inv\/vault\.yml is vault-encrypted; give --vault-password-file or --ask-vault-pass$/,
    );
  });

  it('tries the password of the matching vault id first, then all the others (as Ansible)', () => {
    const secrets = [
      { id: 'default', password: Buffer.from('a') },
      { id: 'dev', password: Buffer.from('b') },
      { id: 'prod', password: Buffer.from('c') },
    ];
    expect(tryOrder(secrets, 'prod').map((s) => s.id)).toEqual(['prod', 'default', 'dev']);
    expect(tryOrder(secrets, undefined).map((s) => s.id)).toEqual(['default', 'dev', 'prod']);
    // Labelled "prod" but the prod password is wrong: another password still opens it.
    expect(keyring(['prod', 'nope'], ['dev', PASSWORD]).decrypt(VECTORS[1].text, 'x')).toEqual(VECTORS[1].plaintext);
  });

  it('recognises vault data by its header', () => {
    expect(isVaultText(VECTORS[0].text)).toBe(true);
    expect(isVaultText('all:\n  hosts: {}\n')).toBe(false);
  });
});

const ansibleVault = findOnPath('ansible-vault');
const skipReason = 'ansible-vault is not on PATH: vault files are not checked against real Ansible (install ansible-core to do so)';
if (!ansibleVault) console.warn(`SKIPPED ansible-vault comparison in ${path.basename(import.meta.url)}: ${skipReason}`);

describe.skipIf(!ansibleVault)('Ansible Vault against the real ansible-vault, both ways', () => {
  let dir: string;
  let passwordFile: string;
  const vault = (...args: string[]) =>
    run(ansibleVault!, args, { env: { ...process.env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_HOME: path.join(dir, '.ansible') } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labwright-vault-'));
    passwordFile = path.join(dir, 'password');
    await writeFile(passwordFile, `${PASSWORD}\n`);
    await writeFile(path.join(dir, 'ansible.cfg'), '');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('decrypts files ansible-vault encrypted (1.1, and 1.2 with --vault-id)', async () => {
    const plain = 'db_password: "s3cr\u00e9t w\u00f6rd"\nlines: |\n  one\n  two\n';
    const v11 = path.join(dir, 'v11.yml');
    const v12 = path.join(dir, 'v12.yml');
    await writeFile(v11, plain);
    await writeFile(v12, plain);
    await vault('encrypt', '--vault-password-file', passwordFile, v11);
    await vault('encrypt', '--vault-id', `prod@${passwordFile}`, v12);
    const text11 = await readFile(v11, 'utf8');
    const text12 = await readFile(v12, 'utf8');
    expect(text11.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(text12.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(keyring(['default', PASSWORD]).decrypt(text11, v11).toString('utf8')).toBe(plain);
    expect(keyring(['prod', PASSWORD]).decrypt(text12, v12).toString('utf8')).toBe(plain);
  });

  it('decrypts an encrypt_string value', async () => {
    const { stdout } = await vault('encrypt_string', '--vault-password-file', passwordFile, '--name', 'token', 'abc:def/123');
    const text = stdout.replace(/^token: !vault \|\n/, '').replace(/^ +/gm, '');
    expect(keyring(['default', PASSWORD]).decrypt(text, 'x').toString()).toBe('abc:def/123');
  });

  it('writes files ansible-vault decrypts and views (1.1 and 1.2)', async () => {
    const plain = 'k3s_token: "K10\u00e9\u2603-token"\n';
    const ours11 = path.join(dir, 'ours11.yml');
    const ours12 = path.join(dir, 'ours12.yml');
    await writeFile(ours11, keyring(['default', PASSWORD]).encrypt(plain));
    await writeFile(ours12, keyring(['lab', PASSWORD]).encrypt(plain, 'lab'));
    expect((await vault('view', '--vault-password-file', passwordFile, ours11)).stdout).toBe(plain);
    expect((await vault('view', '--vault-id', `lab@${passwordFile}`, ours12)).stdout).toBe(plain);
    await vault('decrypt', '--vault-password-file', passwordFile, ours12);
    expect(await readFile(ours12, 'utf8')).toBe(plain);
  });

  it('ansible-vault refuses a wrong password on our file, as we refuse it on theirs', async () => {
    const ours = path.join(dir, 'wrong.yml');
    await writeFile(ours, keyring(['default', 'another password']).encrypt('a: b\n'));
    await expect(vault('view', '--vault-password-file', passwordFile, ours)).rejects.toThrow(/Decryption failed/);
  });
});

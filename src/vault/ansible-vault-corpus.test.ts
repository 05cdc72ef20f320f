import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ansibleEnvironment, ansibleInventoryBin } from '../../test/support/ansible.js';
import { findOnPath } from '../../test/support/on-path.js';
import { captureIo } from '../../test/support/io.js';
import { runLabwright } from '../cli/labwright.js';
import { readSecretOptions } from '../cli/vault-options.js';
import { loadInventory } from '../inventory/index.js';
import { isSecret, MASK, redact } from '../secret.js';

/*
 * The vault fixtures of test/fixtures/ansible-inventories/vault-* (files made
 * by the real ansible-vault, their passwords beside them) read by
 * `ansible-inventory --list` and by `labwright inventory --list`: the same
 * groups, and the same host vars once decrypted, where labwright shows every
 * value that came out of a vault masked. ansible-inventory prints inline
 * `!vault` values as {"__ansible_vault": …}: they are decrypted with the real
 * ansible-vault before comparing.
 */

const corpus = fileURLToPath(new URL('../../test/fixtures/ansible-inventories/', import.meta.url));
const ansibleInventory = ansibleInventoryBin;
const ansibleVault = findOnPath('ansible-vault');
const available = Boolean(ansibleInventory && ansibleVault);
const skipReason = 'ansible-inventory/ansible-vault are not on PATH: the vault fixtures are not compared with real Ansible (install ansible-core)';
if (!available) console.warn(`SKIPPED ${path.basename(fileURLToPath(import.meta.url))}: ${skipReason}`);

interface VaultCase {
  readonly name: string;
  readonly inventories: readonly string[];
  /** Password flags, paths relative to the corpus (label@path for --vault-id). */
  readonly flags: readonly string[];
  /** host → keys whose values labwright must mask (and Ansible shows). */
  readonly secret: Readonly<Record<string, readonly string[]>>;
  /** host → keys that must stay plain (numbers, short strings, values of unencrypted files). */
  readonly plain: Readonly<Record<string, readonly string[]>>;
}

const CASES: readonly VaultCase[] = [
  {
    name: 'encrypted group_vars/host_vars files and inline !vault values',
    inventories: ['vault-files/hosts.yml'],
    flags: ['--vault-password-file', 'vault-files/vault-password.txt'],
    secret: { gw1: ['wifi_psk', 'api_token', 'vault_k3s_token', 'vault_db', 'ansible_become_password', 'wg_private_key'], cp1: ['api_token'] },
    plain: { gw1: ['ansible_host', 'ntp_server', 'vault_short', 'vault_enabled'], gw2: ['ansible_host'] },
  },
  {
    name: 'a whole encrypted YAML inventory and a whole encrypted INI one',
    inventories: ['vault-whole/hosts.yml', 'vault-whole/hosts.ini'],
    flags: ['--vault-password-file', 'vault-whole/vault-password.txt'],
    secret: { gw1: ['ansible_host', 'ansible_become_password', 'ntp_server', 'ansible_user'], nas1: ['nfs_secret', 'smb_password', 'ansible_host'] },
    plain: { nas1: ['mtu'] },
  },
  {
    name: 'two vault ids (1.2 headers), each file opened by its own password',
    inventories: ['vault-ids/hosts.yml'],
    flags: ['--vault-id', 'dev@vault-ids/dev-password.txt', '--vault-id', 'prod@vault-ids/prod-password.txt'],
    secret: { web1: ['db_password'], web2: ['db_password'] },
    plain: { web1: ['ansible_host'] },
  },
];

const run = promisify(execFile);
let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'labwright-vault-corpus-'));
  await writeFile(path.join(scratch, 'ansible.cfg'), '');
  env = ansibleEnvironment(scratch, 'yaml,ini');
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const inCorpus = (flag: string) => (flag.startsWith('--') ? flag : flag.replace(/^(?:([^@/]+)@)?(.*)$/, (_, id, file) => `${id ? `${id}@` : ''}${path.join(corpus, file)}`));
const argsOf = (vaultCase: VaultCase) => [...vaultCase.inventories.flatMap((file) => ['-i', path.join(corpus, file)]), ...vaultCase.flags.map(inCorpus)];

/** Ansible's view, with each inline {"__ansible_vault": …} decrypted by ansible-vault. */
async function ansibleList(vaultCase: VaultCase): Promise<{ groups: unknown; hostvars: Record<string, Record<string, unknown>> }> {
  const { stdout } = await run(ansibleInventory!, [...argsOf(vaultCase), '--list'], { env, cwd: scratch });
  const { _meta, ...groups } = JSON.parse(stdout);
  const decrypt = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(decrypt));
    if (value === null || typeof value !== 'object') return value;
    const vaulted = (value as { __ansible_vault?: string }).__ansible_vault;
    if (vaulted !== undefined) {
      const file = path.join(scratch, `inline-${Math.random().toString(36).slice(2)}`);
      await writeFile(file, vaulted);
      const flags = vaultCase.flags.map(inCorpus);
      // `view` ends what it shows with a newline of its own.
      return (await run(ansibleVault!, ['view', ...flags, file], { env, cwd: scratch })).stdout.replace(/\n$/, '');
    }
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await decrypt(item)])));
  };
  return { groups, hostvars: (await decrypt(_meta.hostvars)) as Record<string, Record<string, unknown>> };
}

/** Plain data with each Secret replaced by `secretAs(secret)`. */
function mapSecrets(value: unknown, secretAs: (text: string) => unknown): unknown {
  if (isSecret(value)) return secretAs(value.reveal());
  if (Array.isArray(value)) return value.map((item) => mapSecrets(item, secretAs));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, secretAs)]));
  return value;
}
const holdsSecret = (value: unknown): boolean =>
  isSecret(value) || (value !== null && typeof value === 'object' && Object.values(value).some(holdsSecret));

describe.skipIf(!available)(available ? 'vault fixtures: labwright inventory vs ansible-inventory' : `SKIPPED: ${skipReason}`, () => {
  it.for(CASES)('$name', async (vaultCase) => {
    const theirs = await ansibleList(vaultCase);
    const { vault } = readSecretOptions({
      'vault-password-file': vaultCase.flags.flatMap((flag, i) => (vaultCase.flags[i - 1] === '--vault-password-file' ? [inCorpus(flag)] : [])),
      'vault-id': vaultCase.flags.flatMap((flag, i) => (vaultCase.flags[i - 1] === '--vault-id' ? [inCorpus(flag)] : [])),
    });
    const inventory = await loadInventory(vaultCase.inventories.map((file) => path.join(corpus, file)), { vault });
    const ours = Object.fromEntries([...inventory.hosts].map(([name, host]) => [name, host.vars]));

    // Decrypted, labwright's values are Ansible's.
    expect(mapSecrets(ours, (text) => text)).toEqual(theirs.hostvars);
    for (const [host, keys] of Object.entries(vaultCase.secret)) for (const key of keys) expect([host, key, holdsSecret(ours[host][key])]).toEqual([host, key, true]);
    for (const [host, keys] of Object.entries(vaultCase.plain)) for (const key of keys) expect([host, key, holdsSecret(ours[host][key])]).toEqual([host, key, false]);

    // `labwright inventory --list`: Ansible's groups; its values with exactly the vault ones masked.
    const io = captureIo();
    const code = await runLabwright(['inventory', ...argsOf(vaultCase), '--list'], io);
    expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: '' });
    const { _meta, ...groups } = JSON.parse(io.stdout);
    expect(groups).toEqual(theirs.groups);
    const expected = JSON.parse(redact(JSON.stringify(mapSecrets(ours, () => MASK))));
    expect(_meta.hostvars).toEqual(expected);
    const revealed: string[] = [];
    mapSecrets(ours, (text) => revealed.push(text));
    expect(revealed.length).toBeGreaterThan(0);
    for (const text of revealed) expect(io.stdout).not.toContain(text);
  });

  it('without the password, ansible-inventory and labwright both refuse the encrypted file, labwright naming it (exit 4)', async () => {
    const [file] = CASES[1].inventories.map((relative) => path.join(corpus, relative));
    await expect(run(ansibleInventory!, ['-i', file, '--list'], { env, cwd: scratch })).rejects.toThrow();
    const io = captureIo();
    expect(await runLabwright(['inventory', '-i', file, '--list'], io)).toBe(4);
    expect(io.stderr).toBe(`ERROR: ${file} is vault-encrypted; give --vault-password-file or --ask-vault-pass\n`);
  });
});

import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { OptionsError } from '../errors.js';
import { DEFAULT_VAULT_ID } from './envelope.js';
import { VaultKeyring, type VaultSecret } from './keyring.js';
import { controllingTerminal, type Terminal } from './prompt.js';

/** The vault password options of a command line (Ansible's). */
export interface VaultPasswordOptions {
  /** `--vault-id [label@]source`, source a file, a script or "prompt" (repeatable). */
  readonly vaultIds?: readonly string[];
  /** `--vault-password-file F` (repeatable): `default@F`. */
  readonly vaultPasswordFiles?: readonly string[];
  /** `--ask-vault-pass`: `default@prompt`. */
  readonly askVaultPass?: boolean;
}

/** A script's run is bounded: a password script that waits forever is a mistake, not a password. */
const SCRIPT_TIMEOUT_MS = 120_000;

/**
 * The vault passwords, read in Ansible's order (CLI.setup_vault_secrets):
 * ANSIBLE_VAULT_IDENTITY_LIST, then each --vault-id, then each
 * --vault-password-file and ANSIBLE_VAULT_PASSWORD_FILE (id "default"), then
 * --ask-vault-pass. A source that cannot be read is an OptionsError (exit 5)
 * naming it (Ansible only warns while another source works: a typo would then
 * show up later as "cannot decrypt").
 */
export function readVaultPasswords(
  options: VaultPasswordOptions,
  env: NodeJS.ProcessEnv = process.env,
  terminal: Terminal = controllingTerminal,
): VaultKeyring {
  const fromEnvList = (env.ANSIBLE_VAULT_IDENTITY_LIST ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  const files = [...(options.vaultPasswordFiles ?? []), ...(env.ANSIBLE_VAULT_PASSWORD_FILE ? [env.ANSIBLE_VAULT_PASSWORD_FILE] : [])];
  const slugs = [
    ...fromEnvList.map((slug) => ({ slug, flag: 'ANSIBLE_VAULT_IDENTITY_LIST' })),
    ...(options.vaultIds ?? []).map((slug) => ({ slug, flag: '--vault-id' })),
    ...files.map((file) => ({ slug: `${DEFAULT_VAULT_ID}@${file}`, flag: '--vault-password-file' })),
    ...(options.askVaultPass ? [{ slug: `${DEFAULT_VAULT_ID}@prompt`, flag: '--ask-vault-pass' }] : []),
  ];
  const secrets: VaultSecret[] = [];
  for (const { slug, flag } of slugs) {
    const at = slug.indexOf('@');
    const id = at < 0 ? DEFAULT_VAULT_ID : slug.slice(0, at) || DEFAULT_VAULT_ID;
    const source = at < 0 ? slug : slug.slice(at + 1);
    if (source === '') throw new OptionsError(`${flag} ${slug}: no password source after "@"`);
    const password =
      source === 'prompt'
        ? promptPassword(terminal, id, flag)
        : readPasswordSource(expandHome(source, env), id, `${flag} ${slug}`);
    secrets.push({ id, password });
  }
  return new VaultKeyring(secrets);
}

function promptPassword(terminal: Terminal, id: string, flag: string): Buffer {
  const prompt = flag === '--ask-vault-pass' ? 'Vault password: ' : `Vault password (${id}): `;
  const password = Buffer.from(terminal.askHidden(prompt, flag).trim(), 'utf8');
  if (password.length === 0) throw new OptionsError(`${flag}: an empty vault password`);
  return password;
}

/**
 * The password in file `file`, or printed by it when it is executable (as
 * Ansible: a name ending in "-client" is called with `--vault-id ID`; its exit
 * code 2 means it has no password for that id).
 */
export function readPasswordSource(file: string, id: string, what: string): Buffer {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new OptionsError(`${what}: the vault password file ${file} was not found`);
  }
  if (!isFile) throw new OptionsError(`${what}: ${file} is not a file`);
  const password = isExecutable(file) ? runScript(file, id, what) : readPasswordFile(file, what);
  if (password.length === 0) throw new OptionsError(`${what}: ${file} gives an empty vault password`);
  return password;
}

function readPasswordFile(file: string, what: string): Buffer {
  try {
    // Ansible: f.read().strip() (ASCII whitespace at both ends), then .strip(b'\r\n').
    return Buffer.from(readFileSync(file).toString('latin1').replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, ''), 'latin1');
  } catch (error) {
    throw new OptionsError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function runScript(file: string, id: string, what: string): Buffer {
  const client = path.parse(file).name.endsWith('-client');
  const args = client ? ['--vault-id', id] : [];
  try {
    // stdin and stderr are the user's: a script may ask on the terminal, as with Ansible.
    const stdout = execFileSync(file, args, { stdio: ['inherit', 'pipe', 'inherit'], timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
    return Buffer.from(stdout.toString('latin1').replace(/^[\r\n]+|[\r\n]+$/g, ''), 'latin1');
  } catch (error) {
    const { status, signal, code } = error as { status?: number | null; signal?: string | null; code?: string };
    const why =
      client && status === 2
        ? `it has no password for vault id "${id}" (exit 2)`
        : status != null
          ? `it exited with ${status}`
          : signal
            ? `it was killed by ${signal}${signal === 'SIGTERM' ? ` (no answer within ${SCRIPT_TIMEOUT_MS / 1000} s)` : ''}`
            : `it could not be run (${code ?? String(error)}): if it is not a script, remove its executable bit`;
    throw new OptionsError(`${what}: the vault password script ${file} failed: ${why}`);
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function expandHome(file: string, env: NodeJS.ProcessEnv): string {
  return file === '~' || file.startsWith('~/') ? path.join(env.HOME ?? '', file.slice(1)) : file;
}

import { OptionsError } from '../errors.js';
import { Secret, secret, SecretTooShortError } from '../secret.js';
import { VaultKeyring } from '../vault/keyring.js';
import { readVaultPasswords } from '../vault/passwords.js';
import { controllingTerminal, type Terminal } from '../vault/prompt.js';

/**
 * Ansible's vault and become password flags, shared by every command that
 * reads an inventory: spread VAULT_FLAGS into parseArgs' options, show
 * VAULT_USAGE in --help, and read them with readSecretOptions.
 */
export const VAULT_FLAGS = {
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
} as const;

export const VAULT_USAGE = `      --vault-password-file F  vault password in file F, or printed by F when executable (repeatable)
      --vault-id [ID@]SOURCE   vault password with vault id ID from a file, a script or "prompt" (repeatable)
  -J, --ask-vault-pass     ask for the vault password (needs a terminal)
  -K, --ask-become-pass    ask for the sudo password (ansible_become_password of the hosts that set none)`;

export interface SecretFlags {
  readonly 'vault-password-file'?: string[];
  readonly 'vault-id'?: string[];
  readonly 'ask-vault-pass'?: boolean;
  readonly 'ask-become-pass'?: boolean;
}

export interface SecretOptions {
  /** The vault passwords (empty: none given). */
  readonly vault: VaultKeyring;
  /** The password given with -K, for sudo on hosts without ansible_become_password. */
  readonly becomePassword?: Secret;
}

/**
 * The passwords the flags ask for, read at once as Ansible does (files and
 * scripts, then the prompts); ANSIBLE_VAULT_PASSWORD_FILE and
 * ANSIBLE_VAULT_IDENTITY_LIST are honoured. Problems are OptionsErrors (exit 5).
 */
export function readSecretOptions(flags: SecretFlags, env: NodeJS.ProcessEnv = process.env, terminal: Terminal = controllingTerminal): SecretOptions {
  const vault = readVaultPasswords(
    { vaultIds: flags['vault-id'], vaultPasswordFiles: flags['vault-password-file'], askVaultPass: flags['ask-vault-pass'] },
    env,
    terminal,
  );
  if (!flags['ask-become-pass']) return { vault };
  const typed = terminal.askHidden('BECOME password: ', '-K/--ask-become-pass');
  if (typed === '') return { vault };
  try {
    return { vault, becomePassword: secret(typed) };
  } catch (error) {
    if (error instanceof SecretTooShortError) throw new OptionsError(`-K/--ask-become-pass: ${error.message}`);
    throw error;
  }
}

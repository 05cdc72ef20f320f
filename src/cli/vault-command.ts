import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OptionsError, UserError } from '../errors.js';
import { isVaultText } from '../vault/envelope.js';
import type { VaultKeyring } from '../vault/keyring.js';
import { controllingTerminal } from '../vault/prompt.js';
import type { Io } from './main.js';
import { readSecretOptions, VAULT_FLAGS, VAULT_USAGE } from './vault-options.js';

export const VAULT_COMMAND_USAGE = `usage: labwright vault ACTION [options] [FILE…]   (as ansible-vault; files and values it reads, and it reads ours)

actions:
  encrypt [FILE…]          encrypt each file in place (no FILE or -: stdin to stdout)
  decrypt [FILE…]          decrypt each file in place (no FILE or -: stdin to stdout)
  view FILE…               print the plaintext of each file
  encrypt_string [STRING]  print STRING as a !vault value (--name NAME: as "NAME: !vault |"; no STRING: stdin)

options:
${VAULT_USAGE.split('\n').filter((line) => !line.includes('become')).join('\n')}
      --encrypt-vault-id ID    encrypt with the password of vault id ID (default: the first given)
      --output FILE            write the result to FILE (- for stdout) instead of in place
  -n, --name NAME          encrypt_string: the variable name
  -h, --help               this text

exit codes: 0 ok, 1 error, 4 cannot decrypt (wrong password, not vault data), 5 bad options`;

type Action = 'encrypt' | 'decrypt' | 'view' | 'encrypt_string';
export const ACTIONS: readonly Action[] = ['encrypt', 'decrypt', 'view', 'encrypt_string'];

/** The flags of `labwright vault ACTION` (parser and shell completion). */
export const VAULT_COMMAND_FLAGS = {
  ...VAULT_FLAGS,
  'encrypt-vault-id': { type: 'string' },
  output: { type: 'string' },
  name: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `labwright vault …` (see VAULT_COMMAND_USAGE). */
export async function vaultCommand(argv: readonly string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '-h' || action === '--help') {
    (action === undefined ? io.err : io.out)(VAULT_COMMAND_USAGE + '\n');
    return action === undefined ? 5 : 0;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new OptionsError(`unknown vault action "${action}": the actions are ${ACTIONS.join(', ')}`, 'see labwright vault --help');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: VAULT_COMMAND_FLAGS,
    });
  } catch (error) {
    throw new OptionsError((error as Error).message, 'see labwright vault --help');
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(VAULT_COMMAND_USAGE + '\n');
    return 0;
  }
  const { vault } = readSecretOptions({ ...values, 'ask-become-pass': false });
  if (vault.empty) throw new OptionsError(`no vault password: give --vault-password-file, --vault-id or --ask-vault-pass`);
  const encrypting = action === 'encrypt' || action === 'encrypt_string';
  if (encrypting) confirmPrompted(values, vault, values['encrypt-vault-id']);
  const vaultId = values['encrypt-vault-id'];

  if (action === 'encrypt_string') {
    if (positionals.length > 1) throw new OptionsError('encrypt_string takes one STRING (quote it)');
    const text = positionals[0] ?? (await readStdin());
    const armored = vault.encrypt(text, vaultId).trimEnd().split('\n').map((line) => `          ${line}`).join('\n');
    io.out(`${values.name === undefined ? '' : `${values.name}: `}!vault |\n${armored}\n`);
    return 0;
  }
  const files = positionals.length === 0 ? ['-'] : positionals;
  if (action === 'view' && positionals.length === 0) throw new OptionsError('view needs at least one FILE');
  if (values.output !== undefined && files.length > 1) throw new OptionsError('--output takes one input FILE');
  for (const file of files) {
    const input = file === '-' ? Buffer.from(await readStdin(), 'utf8') : await readInput(file);
    const result = transform(action as Action, input, file, vault, vaultId);
    const output = values.output ?? file;
    if (action === 'view' || output === '-') io.out(result.toString('utf8'));
    else await replaceFile(output, result, file);
  }
  if (action !== 'view') io.err(`${action === 'encrypt' ? 'Encryption' : 'Decryption'} successful\n`);
  return 0;
}

function transform(action: Action, input: Buffer, file: string, vault: VaultKeyring, vaultId: string | undefined): Buffer {
  const text = input.toString('latin1');
  const name = file === '-' ? 'stdin' : file;
  if (action === 'encrypt') {
    if (isVaultText(text)) throw new UserError(`${name} is already vault-encrypted`, 1);
    return Buffer.from(vault.encrypt(input, vaultId), 'latin1');
  }
  if (!isVaultText(text)) throw new UserError(`${name} is not vault-encrypted`, 4);
  return vault.decrypt(text, name);
}

/** A typed password that encrypts is asked twice: a typo would lock the data. */
function confirmPrompted(values: { 'vault-id'?: string[]; 'ask-vault-pass'?: boolean }, vault: VaultKeyring, vaultId: string | undefined): void {
  const prompted = values['ask-vault-pass'] || (values['vault-id'] ?? []).some((slug) => slug.endsWith('prompt'));
  if (!prompted) return;
  const chosen = vaultId === undefined ? vault.secrets[0] : vault.secrets.find((s) => s.id === vaultId);
  if (!chosen) return;
  const again = Buffer.from(controllingTerminal.askHidden(`Confirm vault password (${chosen.id}): `, '--ask-vault-pass').trim(), 'utf8');
  if (!again.equals(chosen.password)) throw new OptionsError('the passwords do not match');
}

async function readInput(file: string): Promise<Buffer> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`${file}: cannot read: ${error.code ?? String(error)}`, 1);
  });
}

/** `data` into `file` through a temporary file beside it, renamed into place (the mode of `from` kept, else 0600). */
async function replaceFile(file: string, data: Buffer, from: string): Promise<void> {
  const mode = await stat(from === '-' ? file : from).then((s) => s.mode & 0o7777, () => 0o600);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o600, flag: 'wx' });
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new UserError(`${file}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 1);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

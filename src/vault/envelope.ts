/**
 * The text around Ansible Vault ciphertext ("vaulttext envelope"), as
 * ansible/parsing/vault/__init__.py writes and reads it:
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ";label": a vault id)
 *   <hex, 80 characters a line>
 *
 * The hex is the hexlified "hex(salt)\nhex(hmac)\nhex(ciphertext)".
 */

export const VAULT_HEADER = '$ANSIBLE_VAULT';
/** Ansible's default vault id (C.DEFAULT_VAULT_IDENTITY). */
export const DEFAULT_VAULT_ID = 'default';
const LINE_WIDTH = 80;

export interface Envelope {
  readonly version: string;
  readonly cipher: string;
  /** The label of a 1.2 header, else undefined. */
  readonly vaultId?: string;
  /** The hexlified payload with the line breaks removed. */
  readonly payload: string;
}

/** A malformed envelope or payload (not a wrong password). */
export class VaultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultFormatError';
  }
}

/** Whether `text` is vault-encrypted data (Ansible's is_encrypted: it starts with the header). */
export function isVaultText(text: string | Buffer): boolean {
  const start = typeof text === 'string' ? text : text.subarray(0, VAULT_HEADER.length).toString('latin1');
  return start.startsWith(VAULT_HEADER);
}

export function parseEnvelope(text: string): Envelope {
  const [first = '', ...rest] = text.split(/\r\n|\r|\n/);
  const header = first.trim().split(';');
  if (header[0] !== VAULT_HEADER || header.length < 3) {
    // The text itself is not shown: it may be a secret written where vault data was expected.
    throw new VaultFormatError(`it does not start with "${VAULT_HEADER};1.1;AES256" or "${VAULT_HEADER};1.2;AES256;label"`);
  }
  const vaultId = header.length >= 4 ? header[3].trim() : undefined;
  return { version: header[1].trim(), cipher: header[2].trim(), vaultId: vaultId || undefined, payload: rest.map((line) => line.trim()).join('') };
}

/** The envelope of `payload` (hex): version 1.2 when it carries a vault id other than "default", as Ansible writes it. */
export function formatEnvelope(payload: string, vaultId?: string): string {
  const labelled = vaultId !== undefined && vaultId !== '' && vaultId !== DEFAULT_VAULT_ID;
  const header = labelled ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let at = 0; at < payload.length; at += LINE_WIDTH) lines.push(payload.slice(at, at + LINE_WIDTH));
  return `${lines.join('\n')}\n`;
}

import { ParseError } from '../errors.js';
import { decryptPayload, encryptPayload, VaultAuthError } from './aes256.js';
import { DEFAULT_VAULT_ID, formatEnvelope, parseEnvelope, VaultFormatError } from './envelope.js';

/** One vault password and its vault id (label): `--vault-id label@source`, "default" otherwise. */
export interface VaultSecret {
  readonly id: string;
  readonly password: Buffer;
}

export const NO_PASSWORD_ADVICE = 'give --vault-password-file or --ask-vault-pass';

/**
 * The vault passwords of a run, in the order given. Decrypting tries the
 * password whose id matches the data's label first, then every other one, as
 * Ansible does (vault ids are not authenticated: they only pick the first try).
 */
export class VaultKeyring {
  constructor(readonly secrets: readonly VaultSecret[] = []) {}

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  /**
   * The plaintext of vault `text`, written at `where` ("file" or "file:line:col: key").
   * A ParseError (exit 4) naming `where` when there is no password, none opens
   * it, or it is malformed; the ciphertext is never part of the message.
   */
  decrypt(text: string, where: string): Buffer {
    let envelope;
    try {
      envelope = parseEnvelope(text);
    } catch (error) {
      throw new ParseError(`${where}: not valid vault data: ${(error as Error).message}`);
    }
    if (envelope.cipher !== 'AES256') {
      throw new ParseError(`${where}: vault cipher ${JSON.stringify(envelope.cipher.slice(0, 20))} is not supported (only AES256)`);
    }
    if (this.empty) throw new ParseError(`${where} is vault-encrypted; ${NO_PASSWORD_ADVICE}`);
    const label = envelope.vaultId;
    const ordered = tryOrder(this.secrets, label);
    for (const { password } of ordered) {
      try {
        return decryptPayload(envelope.payload, password);
      } catch (error) {
        if (error instanceof VaultAuthError) continue;
        if (error instanceof VaultFormatError) throw new ParseError(`${where}: not valid vault data: ${error.message}`);
        throw error;
      }
    }
    const tried = [...new Set(ordered.map((s) => s.id))].join(', ');
    throw new ParseError(
      `${where}: cannot decrypt the vault data${label ? ` (vault id "${label}")` : ''} with the vault password(s) given ` +
        `(vault id ${tried}): wrong password, or the data was changed`,
    );
  }

  /** `plaintext` encrypted with the password of `vaultId` (the first password when not given). */
  encrypt(plaintext: Buffer | string, vaultId?: string, salt?: Buffer): string {
    const chosen = vaultId === undefined ? this.secrets[0] : this.secrets.find((s) => s.id === vaultId);
    if (!chosen) {
      throw new ParseError(
        vaultId === undefined ? `nothing to encrypt with: ${NO_PASSWORD_ADVICE}` : `no vault password has the vault id "${vaultId}"`,
      );
    }
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    return formatEnvelope(encryptPayload(data, chosen.password, salt), chosen.id === DEFAULT_VAULT_ID ? undefined : chosen.id);
  }
}

/** The secrets whose id is `label` first, then the others, each group in the order given. */
export function tryOrder(secrets: readonly VaultSecret[], label: string | undefined): VaultSecret[] {
  return [...secrets.filter((s) => s.id === label), ...secrets.filter((s) => s.id !== label)];
}

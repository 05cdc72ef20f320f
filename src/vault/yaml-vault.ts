import { isNode, isPair, isScalar, visit, type Document, type LineCounter, type ScalarTag } from 'yaml';
import { ParseError } from '../errors.js';
import { isSecret, MIN_SECRET_LENGTH, secret } from '../secret.js';
import { isVaultText } from './envelope.js';
import { VaultKeyring } from './keyring.js';

/*
 * Ansible Vault in YAML files: a whole file encrypted with ansible-vault, and
 * values written `key: !vault |` followed by vault data (encrypt_string).
 *
 * Every decrypted value is a Secret (masked in all output). Inline values are
 * decrypted when the file is read (Ansible decrypts them when a play uses
 * them): a wrong password fails the run before any host is touched.
 *
 * In a whole encrypted file, every string value becomes a Secret, except
 * strings of 1 to 3 characters (a user name "pi"): masking them would mask
 * every occurrence of those characters in the output (see MIN_SECRET_LENGTH),
 * so they stay plain. Numbers, booleans and keys stay as they are: a port or a
 * flag in a vault file keeps its type.
 */

/** The vault data of a `!vault` value, until decryptInlineVaults replaces it by its plaintext (a Secret). */
export class VaultedText {
  constructor(readonly text: string) {}
}

export const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (value) => value instanceof VaultedText,
  resolve: (text) => new VaultedText(text),
};

/** `text` read from `file`, decrypted when the whole file is vault data. */
export function openVaultFile(file: string, text: string, vault: VaultKeyring = new VaultKeyring()): { text: string; encrypted: boolean } {
  if (!isVaultText(text)) return { text, encrypted: false };
  return { text: utf8(vault.decrypt(text, file), file), encrypted: true };
}

interface Parsed {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/**
 * Replaces each `!vault` value of `source` by its plaintext, a Secret; a
 * ParseError at its file:line:col and key path when it cannot be decrypted.
 */
export function decryptInlineVaults(source: Parsed, vault: VaultKeyring = new VaultKeyring(), keyPathAt: (offset: number) => string): void {
  visit(source.doc, {
    Scalar(_, node, ancestors) {
      if (!(node.value instanceof VaultedText)) return;
      // Where its key is written, as other errors about a value say (an item of a list: the value itself).
      const parent = ancestors.at(-1);
      const at = isPair(parent) && isNode(parent.key) ? parent.key : node;
      const { line, col } = source.lines.linePos(at.range?.[0] ?? 0);
      const where = `${source.file}:${line}:${col}: ${keyPathAt(node.range?.[0] ?? 0)}`.replace(/: $/, '');
      const plaintext = utf8(vault.decrypt(node.value.text, where), where);
      if (plaintext.length > 0 && plaintext.length < MIN_SECRET_LENGTH) {
        throw new ParseError(
          `${where}: the vault value has ${plaintext.length} character(s): secrets must have at least ${MIN_SECRET_LENGTH} ` +
            '(every output is masked by replacing the secret, and masking a shorter one would reveal it); write it unencrypted',
        );
      }
      node.value = secret(plaintext);
    },
  });
}

/** Every string value (not key) of `source` of MIN_SECRET_LENGTH characters or more becomes a Secret. */
export function markSecrets(source: Parsed): void {
  visit(source.doc, {
    Pair(_, pair) {
      if (isScalar(pair.value)) toSecret(pair.value);
    },
    Seq(_, seq) {
      for (const item of seq.items) if (isScalar(item)) toSecret(item);
    },
  });
}

function toSecret(node: { value: unknown }): void {
  if (typeof node.value === 'string' && node.value.length >= MIN_SECRET_LENGTH && !isSecret(node.value)) node.value = secret(node.value);
}

function utf8(bytes: Buffer, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError(`${where}: the decrypted vault data is not UTF-8 text`);
  }
}

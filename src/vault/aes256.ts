import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { VaultFormatError } from './envelope.js';

/*
 * Ansible Vault's AES256 cipher (VaultAES256 in ansible/parsing/vault/__init__.py):
 * PBKDF2-HMAC-SHA256, 10,000 iterations, 80 bytes = AES key (32), HMAC key
 * (32), counter IV (16); the plaintext PKCS7-padded to 16 bytes and encrypted
 * with AES-256-CTR; HMAC-SHA256 (second key) over the ciphertext; then
 * hexlify("hex(salt)\nhex(hmac)\nhex(ciphertext)").
 */

const ITERATIONS = 10_000;
const KEY_BYTES = 32;
const IV_BYTES = 16;
const BLOCK_BYTES = 16;
const SALT_BYTES = 32;

/** The HMAC does not match: a wrong password, or a payload changed since it was written. */
export class VaultAuthError extends Error {
  constructor() {
    super('HMAC verification failed (wrong password, or the data was changed)');
    this.name = 'VaultAuthError';
  }
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_BYTES + IV_BYTES, 'sha256');
  return {
    aesKey: derived.subarray(0, KEY_BYTES),
    hmacKey: derived.subarray(KEY_BYTES, 2 * KEY_BYTES),
    iv: derived.subarray(2 * KEY_BYTES),
  };
}

/** The hex payload of `plaintext` (salt: random 32 bytes unless given, for reproducible tests). */
export function encryptPayload(plaintext: Buffer, password: Buffer, salt: Buffer = randomBytes(SALT_BYTES)): string {
  if (salt.length === 0) throw new Error('an empty salt');
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(pad(plaintext)), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  return Buffer.from(inner, 'latin1').toString('hex');
}

/** The plaintext of a hex payload; VaultAuthError for a wrong password, VaultFormatError for a malformed payload. */
export function decryptPayload(payload: string, password: Buffer): Buffer {
  const inner = unhexlify(payload, 'the payload').toString('latin1');
  const parts = inner.split('\n');
  if (parts.length < 3) throw new VaultFormatError('the payload does not hold a salt, an HMAC and a ciphertext');
  const [saltHex, hmacHex, ...rest] = parts;
  const salt = unhexlify(saltHex, 'the salt');
  const ciphertext = unhexlify(rest.join('\n'), 'the ciphertext');
  const expected = unhexlify(hmacHex, 'the HMAC');
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const actual = createHmac('sha256', hmacKey).update(ciphertext).digest();
  // Constant time: how much of the HMAC matched must not show in how long the check takes.
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new VaultAuthError();
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  return unpad(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

function pad(data: Buffer): Buffer {
  const size = BLOCK_BYTES - (data.length % BLOCK_BYTES);
  return Buffer.concat([data, Buffer.alloc(size, size)]);
}

function unpad(data: Buffer): Buffer {
  const size = data.at(-1) ?? 0;
  const valid = data.length % BLOCK_BYTES === 0 && size >= 1 && size <= BLOCK_BYTES && data.length >= size;
  if (!valid || !data.subarray(data.length - size).every((byte) => byte === size)) {
    throw new VaultFormatError('invalid padding after decryption');
  }
  return data.subarray(0, data.length - size);
}

function unhexlify(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new VaultFormatError(`${what} is not hexadecimal`);
  return Buffer.from(hex, 'hex');
}

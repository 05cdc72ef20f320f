import { lstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { ParseError } from '../errors.js';

/** Inventories and vars files are small: a larger file is a mistake (a log, an image), not read into memory. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** The UTF-8 text of the inventory or vars file `file`; anything else is a ParseError naming the file. */
export async function readText(file: string): Promise<string> {
  const stats = await stat(file).catch((error: unknown) => {
    throw cannotRead(file, error);
  });
  checkFile(file, stats);
  return decode(file, await readFile(file).catch((error: unknown) => {
    throw cannotRead(file, error);
  }));
}

/** readText, synchronously (for `-e @file`, read while the options are parsed). */
export function readTextSync(file: string): string {
  let bytes: Buffer;
  try {
    checkFile(file, statSync(file));
    bytes = readFileSync(file);
  } catch (error) {
    throw error instanceof ParseError ? error : cannotRead(file, error);
  }
  return decode(file, bytes);
}

/** Only regular files are read: a FIFO or a device (/dev/zero) would block or never end. */
function checkFile(file: string, stats: Stats): void {
  if (stats.isDirectory()) throw new ParseError(`${file}: cannot read: is a directory, expected a file`);
  if (!stats.isFile()) throw new ParseError(`${file}: cannot read: not a regular file (a pipe, socket or device)`);
  if (stats.size > MAX_FILE_BYTES) {
    throw new ParseError(`${file}: cannot read: ${stats.size} bytes, more than the ${MAX_FILE_BYTES} an inventory or vars file may have`);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'file not found',
  EISDIR: 'is a directory, expected a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a loop of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
};

export function cannotRead(file: string, error: unknown): ParseError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const dangling = code === 'ENOENT' && lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink();
  const reason = dangling
    ? `a symbolic link to ${readlinkSync(file)}, which does not exist`
    : (REASONS[code] ?? (code ? `${code} (${(error as Error).message})` : String(error)));
  return new ParseError(`${file}: cannot read: ${reason}`);
}

/** Strict UTF-8 (a BOM is dropped): a Latin-1 or binary file is refused at its first bad byte, never turned into U+FFFD. */
function decode(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstBadByte(bytes);
    const line = bytes.subarray(0, bad).toString('utf8').split('\n').length;
    const column = bad - bytes.lastIndexOf(0x0a, bad - 1);
    const byte = bytes[bad].toString(16).toUpperCase().padStart(2, '0');
    throw new ParseError(`${file}:${line}:${column}: not UTF-8 text (byte 0x${byte}): save the file as UTF-8`);
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 character (the decoder already failed). */
function firstBadByte(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at];
    const size = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (size === 0) return at;
    try {
      decoder.decode(bytes.subarray(at, at + size));
    } catch {
      return at;
    }
    at += size;
  }
  return Math.max(0, bytes.length - 1);
}

import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { OptionsError } from '../errors.js';

/** Where passwords are asked for: the controlling terminal, or a stand-in in tests. */
export interface Terminal {
  /** The answer to `prompt`, typed without echo; an OptionsError (exit 5) when there is no terminal to ask on. */
  askHidden(prompt: string, flag: string): string;
}

/**
 * The controlling terminal (/dev/tty, as getpass uses), read synchronously
 * with echo off (`stty -echo`, restored afterwards even on error). No
 * terminal (cron, CI, a pipe without one): an OptionsError naming the flag.
 */
export const controllingTerminal: Terminal = {
  askHidden(prompt, flag) {
    let fd: number;
    try {
      fd = openSync('/dev/tty', 'r+');
    } catch {
      throw new OptionsError(`${flag}: there is no terminal to ask for the password on`, 'give the password in a file instead (see --help)');
    }
    const stty = (mode: string) => spawnSync('stty', [mode], { stdio: [fd, 'ignore', 'ignore'] });
    try {
      // Echo off before the prompt shows: what is typed after seeing it is never echoed.
      stty('-echo');
      writeSync(fd, prompt);
      return readLine(fd);
    } finally {
      stty('echo');
      writeSync(fd, '\n');
      closeSync(fd);
    }
  },
};

function readLine(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(1024);
  for (;;) {
    const count = readSync(fd, buffer, 0, buffer.length, null);
    if (count === 0) break;
    const chunk = buffer.subarray(0, count);
    const end = chunk.indexOf(0x0a);
    if (end >= 0) {
      chunks.push(Buffer.from(chunk.subarray(0, end)));
      break;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}

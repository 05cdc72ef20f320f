import type { Secret } from '../secret.js';
import { sh, type Command } from '../shell/quote.js';
import { becomeCommand, runWith } from './command-wrappers.js';
import type { ExecResult } from './types.js';

/** The password was refused by sudo: a failure of that host, saying which. */
export class BecomePasswordRejected extends Error {
  constructor(readonly host: string) {
    super(`become password rejected by sudo on ${host} (ansible_become_password, or the password given with -K, is wrong)`);
    this.name = 'BecomePasswordRejected';
  }
}

/** How a command runs as another user with a become password: the command, its stdin, and the check of its result. */
export interface BecomeRun {
  readonly command: Command;
  readonly stdin?: string | Buffer;
  /** Throws BecomePasswordRejected when sudo refused the password. */
  check(result: ExecResult): void;
}

/** Wraps commands that run as another user: `sudo -n` (./command-wrappers.ts), or SudoWithPassword when a become password is set. */
export interface Becomer {
  wrap(cmd: Command, stdin?: string | Buffer): Promise<BecomeRun>;
}

export function becomerFor(
  host: string,
  loginUser: string,
  spec: { readonly becomeUser?: string; readonly becomePassword?: Secret },
  runPlain: (cmd: Command) => Promise<ExecResult>,
): Becomer {
  const becomeUser = spec.becomeUser ?? 'root';
  if (spec.becomePassword) return new SudoWithPassword(host, loginUser, becomeUser, spec.becomePassword, runPlain);
  return { wrap: async (cmd, stdin) => ({ command: becomeCommand(cmd, loginUser, becomeUser), stdin, check: () => {} }) };
}

/**
 * Becoming another user with a password (ansible_become_password, -K): the
 * password goes to `sudo -S` on stdin, as the first line before the command's
 * own input, never on a command line (ps shows those) or in any output.
 * `-p ''`: no prompt on stderr; `-k`: cached credentials are ignored, so that
 * sudo always reads the line (else it would reach the command's stdin).
 *
 * A user whose sudo rule needs no password (NOPASSWD) is asked for none:
 * `sudo -n true` tells, once per connection, and then `sudo -n` is used, which
 * reads nothing from stdin.
 */
export class SudoWithPassword implements Becomer {
  #needsPassword?: Promise<boolean>;

  constructor(
    private readonly host: string,
    private readonly loginUser: string,
    private readonly becomeUser: string,
    private readonly password: Secret,
    /** Runs a command as the login user (for the NOPASSWD probe). */
    private readonly runPlain: (cmd: Command) => Promise<ExecResult>,
  ) {}

  async wrap(cmd: Command, stdin?: string | Buffer): Promise<BecomeRun> {
    const plain = { command: becomeCommand(cmd, this.loginUser, this.becomeUser), stdin, check: () => {} };
    if (this.loginUser === this.becomeUser) return plain;
    this.#needsPassword ??= this.runPlain(sudoProbe(this.becomeUser)).then((result) => result.code !== 0);
    if (!(await this.#needsPassword)) return plain;
    const line = Buffer.from(`${this.password.reveal()}\n`, 'utf8');
    return {
      command: sudoCommand(cmd, this.becomeUser),
      stdin: Buffer.concat([line, stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin)]),
      check: (result) => {
        if (passwordRejected(result)) throw new BecomePasswordRejected(this.host);
      },
    };
  }
}

function sudoProbe(becomeUser: string): Command {
  return becomeUser === 'root' ? sh`sudo -n true` : sh`sudo -n -u ${becomeUser} true`;
}

/** `sudo -S` reading the password from stdin's first line (see SudoWithPassword). */
export function sudoCommand(cmd: Command, becomeUser = 'root'): Command {
  const sudo = becomeUser === 'root' ? sh`sudo -k -S -p '' --` : sh`sudo -k -S -p '' -u ${becomeUser} --`;
  return runWith(sudo, cmd);
}

/**
 * sudo (1.8 and 1.9) ends with "sudo: N incorrect password attempt(s)" after
 * refusing every password it read (one, then the command's input, then EOF).
 */
export function passwordRejected(result: ExecResult): boolean {
  return result.code === 1 && /^sudo: \d+ incorrect password attempts?$/m.test(result.stderr);
}

import { UserError } from '../errors.js';
import { redact } from '../secret.js';

/** Prints what stopped a command (masked) and gives its exit code: a UserError's own, else 1 with the stack. */
export function reportError(e: unknown, io: { err(s: string): void }): number {
  if (e instanceof UserError) {
    io.err(redact(`ERROR: ${e.message}${e.hint ? `\n(${e.hint})` : ''}\n`));
    return e.exitCode;
  }
  io.err(redact(`ERROR (unexpected, please report): ${(e as Error).stack ?? String(e)}\n`));
  return 1;
}

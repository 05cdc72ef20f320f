import type { Fact } from '../facts/fact.js';
import { Command } from '../shell/quote.js';
import type { OpContext } from './op.js';

const MARK = '__labwright_fresh_rc=';

/**
 * Reads a fact NOW, bypassing the per-host cache: for an `apply` that waits
 * for something to happen on the host (polling). The fact's command runs as
 * the facts do (stdin from /dev/null, stderr dropped), through `ctx.run`, and
 * its exit code is handed to the fact's parser. Read-only like any fact; it
 * counts as a command of the apply (and clears the cache like one).
 */
export async function readFresh<T>(ctx: Pick<OpContext, 'run'>, fact: Fact<T>): Promise<T> {
  const cmd = new Command(
    `( ${fact.command.text}\n) </dev/null 2>/dev/null; printf '\\n${MARK}%s\\n' "$?"`,
    fact.command.shown,
  );
  const { stdout } = await ctx.run(cmd);
  const at = stdout.lastIndexOf(`\n${MARK}`);
  if (at < 0) throw new Error(`reading ${fact.command.shown}: no exit status in its output`);
  const code = Number(stdout.slice(at + 1 + MARK.length).trim());
  return fact.parse({ stdout: stdout.slice(0, at), code });
}

import { commandSucceeds, pathExists } from '../facts/builtin.js';
import type { Fact } from '../facts/fact.js';
import type { Command } from '../shell/quote.js';
import { change, ok, type Apply, type Op } from './op.js';

export interface CommandArgs {
  run: Command;
  /** Skip when this path exists. */
  creates?: string;
  /** Skip when this path does not exist. */
  removes?: string;
  /** Skip when this read-only check exits 0. */
  unless?: Command;
  become?: boolean;
  /** Kill it and fail the task after this many milliseconds (default: the host's labwright_command_timeout). */
  timeoutMs?: number;
}

/**
 * A command. With `creates`/`removes`/`unless` it is planned like any op;
 * without a guard its effect cannot be predicted and check mode says so.
 */
export function command(args: CommandArgs): Op {
  const creates = args.creates ? pathExists(args.creates) : undefined;
  const removes = args.removes ? pathExists(args.removes) : undefined;
  const unless = args.unless ? commandSucceeds(args.unless) : undefined;
  const facts = [creates, removes, unless].filter((f): f is Fact<boolean> => f !== undefined);
  const apply: Apply = async (c) => {
    await c.run(args.run, { become: args.become, timeoutMs: args.timeoutMs });
  };
  return {
    label: `command ${args.run.shown}`,
    facts,
    async plan(ctx) {
      if (creates && (await ctx.fact(creates))) return ok(`${args.creates} exists`);
      if (removes && !(await ctx.fact(removes))) return ok(`${args.removes} does not exist`);
      if (unless && (await ctx.fact(unless))) return ok(`check passed: ${args.unless!.shown}`);
      const summary = `run: ${args.run.shown}`;
      if (facts.length === 0) return { kind: 'unpredictable', changes: [{ summary }], apply };
      return change({ summary }, apply);
    },
  };
}

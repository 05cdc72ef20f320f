import { userEntry } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { change, ok, type Op } from './op.js';

/** A local user account (created with a home directory). */
export function user(args: { name: string; shell?: string; system?: boolean }): Op {
  const fact = userEntry(args.name);
  return {
    label: `user ${args.name}`,
    facts: [fact],
    async plan(ctx) {
      const entry = await ctx.fact(fact);
      if (!entry) {
        return change({ summary: `create user ${args.name}` }, async (c) => {
          const flags = [...(args.system ? ['--system'] : []), ...(args.shell ? ['--shell', args.shell] : [])];
          await c.run(sh`useradd --create-home ${[...flags, "--", args.name]}`);
        });
      }
      if (args.shell && entry.shell !== args.shell) {
        return change({ summary: `user ${args.name}: shell ${entry.shell} → ${args.shell}` }, async (c) => {
          await c.run(sh`usermod --shell ${args.shell!} -- ${args.name}`);
        });
      }
      return ok(`user ${args.name} exists`);
    },
  };
}

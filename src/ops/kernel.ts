import { CommandFailed } from '../errors.js';
import { moduleLoaded, sysctlValue } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { lineInFile } from './lines.js';
import { change, ok, sequence, type Op } from './op.js';

/** A sysctl set at runtime and persisted in a sysctl.d file. */
export function sysctl(args: { name: string; value: string | number; file?: string }): Op {
  const value = String(args.value).trim().split(/\s+/).join(' ');
  const fact = sysctlValue(args.name);
  const runtime: Op = {
    label: `sysctl ${args.name}`,
    facts: [fact],
    async plan(ctx) {
      const current = await ctx.fact(fact);
      if (current === value) return ok(`${args.name} is ${value}`);
      return change({ summary: `sysctl ${args.name}: ${current ?? '(unknown key)'} → ${value}` }, async (c) => {
        await c.run(sh`sysctl -w ${`${args.name}=${value}`}`);
      });
    },
  };
  const persisted = lineInFile({
    path: args.file ?? '/etc/sysctl.d/99-labwright.conf',
    line: `${args.name} = ${value}`,
    regexp: new RegExp(`^\\s*${args.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`),
    mode: '0644',
  });
  return sequence(`sysctl ${args.name}=${value}`, [runtime, persisted]);
}

/**
 * A kernel module loaded now and at boot (modules-load.d). `presentIf`: a
 * path that exists whenever the module's code is in the kernel (see
 * `moduleLoaded`), for built-in modules on hosts without modules.builtin.
 */
export function kernelModule(args: { name: string; file?: string; presentIf?: string }): Op {
  const fact = args.presentIf ? moduleLoaded(args.name, args.presentIf) : moduleLoaded(args.name);
  const load: Op = {
    label: `modprobe ${args.name}`,
    facts: [fact],
    async plan(ctx) {
      if (await ctx.fact(fact)) return ok(`module ${args.name} is in the kernel`);
      return change({ summary: `load kernel module ${args.name}` }, async (c) => {
        try {
          await c.run(sh`modprobe -- ${args.name}`);
        } catch (err) {
          if (!(err instanceof CommandFailed)) throw err;
          // one line: the output shows the first line of a message
          const why = err.stderr.trim().split('\n').pop() || `exit ${err.exitCode}`;
          throw new CommandFailed(
            c.host.name,
            err.command,
            err.exitCode,
            `kernel module ${args.name} is not in the kernel and cannot be loaded here (${why}); in a container, load it on the host's kernel`,
            err.stdout,
          );
        }
      });
    },
  };
  const persisted = lineInFile({ path: args.file ?? `/etc/modules-load.d/${args.name}.conf`, line: args.name, mode: '0644' });
  return sequence(`kernel module ${args.name}`, [load, persisted]);
}

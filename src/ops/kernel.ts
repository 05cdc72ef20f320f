import { CommandFailed } from '../errors.js';
import { moduleLoaded, sysctlValue } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { linesInFile } from './lines.js';
import { change, ok, sequence, type Op } from './op.js';

function sysctlRuntime(name: string, value: string): Op {
  const fact = sysctlValue(name);
  return {
    label: `sysctl ${name}`,
    facts: [fact],
    async plan(ctx) {
      const current = await ctx.fact(fact);
      if (current === value) return ok(`${name} is ${value}`);
      return change({ summary: `sysctl ${name}: ${current ?? '(unknown key)'} → ${value}` }, async (c) => {
        await c.run(sh`sysctl -w ${`${name}=${value}`}`);
      });
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sysctls set at runtime and persisted together in one sysctl.d file (one edit, one diff). */
export function sysctls(args: { values: Record<string, string | number>; file?: string }): Op {
  const entries = Object.entries(args.values).map(([name, v]) => [name, String(v).trim().split(/\s+/).join(' ')] as const);
  const persisted = linesInFile({
    path: args.file ?? '/etc/sysctl.d/99-labwright.conf',
    lines: entries.map(([name, value]) => ({ line: `${name} = ${value}`, regexp: new RegExp(`^\\s*${escapeRegExp(name)}\\s*=`) })),
    mode: '0644',
  });
  return sequence(`sysctl ${entries.map(([n, v]) => `${n}=${v}`).join(' ')}`, [...entries.map(([n, v]) => sysctlRuntime(n, v)), persisted]);
}

/** A sysctl set at runtime and persisted in a sysctl.d file. */
export function sysctl(args: { name: string; value: string | number; file?: string }): Op {
  return sysctls({ values: { [args.name]: args.value }, file: args.file });
}

/**
 * A kernel module loaded now. `presentIf`: a path that exists whenever the module's code is in the kernel (see
 * `moduleLoaded`), for built-in modules on hosts without modules.builtin.
 */
function moduleLoad(name: string, presentIf?: string): Op {
  const fact = presentIf ? moduleLoaded(name, presentIf) : moduleLoaded(name);
  return {
    label: `modprobe ${name}`,
    facts: [fact],
    async plan(ctx) {
      if (await ctx.fact(fact)) return ok(`module ${name} is in the kernel`);
      return change({ summary: `load kernel module ${name}` }, async (c) => {
        try {
          await c.run(sh`modprobe -- ${name}`);
        } catch (err) {
          if (!(err instanceof CommandFailed)) throw err;
          // one line: the output shows the first line of a message
          const why = err.stderr.trim().split('\n').pop() || `exit ${err.exitCode}`;
          throw new CommandFailed(
            c.host.name,
            err.command,
            err.exitCode,
            `kernel module ${name} is not in the kernel and cannot be loaded here (${why}); in a container, load it on the host's kernel`,
            err.stdout,
          );
        }
      });
    },
  };
}

/** Kernel modules loaded now and listed together in one modules-load.d file (one edit, one diff). */
export function kernelModules(args: { modules: readonly { name: string; presentIf?: string }[]; file: string }): Op {
  const persisted = linesInFile({ path: args.file, lines: args.modules.map((m) => ({ line: m.name })), mode: '0644' });
  return sequence(`kernel modules ${args.modules.map((m) => m.name).join(' ')}`, [...args.modules.map((m) => moduleLoad(m.name, m.presentIf)), persisted]);
}

/** A kernel module loaded now and at boot (its own modules-load.d file unless `file` is given). */
export function kernelModule(args: { name: string; file?: string; presentIf?: string }): Op {
  return kernelModules({ modules: [args], file: args.file ?? `/etc/modules-load.d/${args.name}.conf` });
}

import { brewPackages, debPackages } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { change, ok, type Op } from './op.js';

export interface PackagesArgs {
  packages: readonly string[];
  state?: 'present' | 'absent';
}

/** "kubeadm=1.32.2-1.1" → name kubeadm, version 1.32.2-1.1; "libc6:amd64" → name libc6. */
function packageSpec(p: string): { name: string; version?: string } {
  const [nameArch, version] = p.split('=');
  return { name: nameArch.split(':')[0], version };
}

/** Packages still to install (absent, or another version than pinned), or to remove. */
function missingOrPresent(installed: Map<string, string>, args: PackagesArgs): string[] {
  return (args.state ?? 'present') === 'present'
    ? args.packages.filter((p) => {
        const { name, version } = packageSpec(p);
        return !installed.has(name) || (version !== undefined && installed.get(name) !== version);
      })
    : args.packages.filter((p) => installed.has(packageSpec(p).name));
}

/** Debian package names (policy §5.6.1), optionally `:arch` and `=version`: nothing an option parser could take. */
export const DEB_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;

/** Debian packages installed (or removed) in one apt-get call. `pkg=version` pins. */
export function apt(args: PackagesArgs & { updateCache?: boolean }): Op {
  const bad = args.packages.filter((p) => !DEB_PACKAGE.test(p));
  if (bad.length > 0) throw new Error(`apt: not a Debian package name: ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  const names = args.packages.map((p) => p.split('=')[0]);
  const fact = debPackages(names);
  return {
    label: `apt ${args.packages.join(' ')}`,
    facts: [fact],
    async plan(ctx) {
      const todo = missingOrPresent(await ctx.fact(fact), args);
      const present = (args.state ?? 'present') === 'present';
      if (todo.length === 0) return ok(`${args.packages.join(', ')} ${present ? 'already installed' : 'not installed'}`);
      return change({ summary: `${present ? 'install' : 'remove'} ${todo.join(' ')}` }, async (c) => {
        const env = sh`DEBIAN_FRONTEND=noninteractive`;
        if (present && args.updateCache) await c.run(sh`${env} apt-get update -q`);
        await c.run(
          present
            ? sh`${env} apt-get install -y -q --no-install-recommends --allow-downgrades -o Dpkg::Options::=--force-confold ${todo}`
            : sh`${env} apt-get remove -y -q ${todo}`,
        );
      });
    },
  };
}

/** Homebrew formulae installed (or removed), for the macOS lab. Runs as the connecting user. */
export function brew(args: PackagesArgs): Op {
  const fact = brewPackages();
  return {
    label: `brew ${args.packages.join(' ')}`,
    facts: [fact],
    async plan(ctx) {
      const todo = missingOrPresent(await ctx.fact(fact), args);
      const present = (args.state ?? 'present') === 'present';
      if (todo.length === 0) return ok(`${args.packages.join(', ')} ${present ? 'already installed' : 'not installed'}`);
      return change({ summary: `brew ${present ? 'install' : 'uninstall'} ${todo.join(' ')}` }, async (c) => {
        await c.run(present ? sh`brew install ${todo}` : sh`brew uninstall ${todo}`, { become: false });
      });
    },
  };
}

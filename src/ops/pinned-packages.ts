import { debPackages, pathExists } from '../facts/builtin.js';
import { defineFact } from '../facts/fact.js';
import { sh, type Command } from '../shell/quote.js';
import { change, ok, type Change, type Op } from './op.js';
import { DEB_PACKAGE } from './packages.js';

/** Packages on hold in dpkg (`apt-mark showhold`): apt neither upgrades nor removes them. */
export const heldPackages = defineFact('held', () => ({
  command: sh`apt-mark showhold`,
  parse: ({ stdout }): Set<string> => new Set(stdout.split('\n').map((l) => l.trim().split(':')[0]!).filter(Boolean)),
}));

export interface PinnedPackagesArgs {
  /** Package name → exact Debian version, e.g. `{ kubeadm: '1.32.2-1.1' }`. */
  packages: Readonly<Record<string, string>>;
  /** `apt-mark hold` them, so that `apt upgrade` leaves them alone (default true). */
  hold?: boolean;
  /** `apt-get update` before installing (only when something is installed). */
  updateCache?: boolean;
  /**
   * While this path exists, a different installed version is refused instead
   * of replaced (e.g. a node of a running cluster, whose upgrade has its own
   * procedure); a missing package is still installed.
   */
  keepVersionWhile?: { path: string; reason: string };
}

const VERSION = /^[A-Za-z0-9.+~:-]+$/;

/**
 * Debian packages at exact versions, held. Unlike `apt`, a package installed
 * at another version is planned as a version change ("kubelet 1.31.1-1.1 →
 * 1.32.2-1.1"), installed with the pin (`--allow-change-held-packages`,
 * `--allow-downgrades`), and the hold is planned from `apt-mark showhold`.
 */
export function pinnedPackages(args: PinnedPackagesArgs): Op {
  const names = Object.keys(args.packages);
  const bad = Object.entries(args.packages).filter(([n, v]) => !DEB_PACKAGE.test(n) || n.includes('=') || !VERSION.test(v));
  if (bad.length > 0) throw new Error(`pinnedPackages: not a Debian package name and version: ${bad.map(([n, v]) => JSON.stringify(`${n}=${v}`)).join(', ')}`);
  const installedFact = debPackages(names);
  const heldFact = heldPackages();
  const lockFact = args.keepVersionWhile ? pathExists(args.keepVersionWhile.path) : undefined;
  const hold = args.hold ?? true;
  return {
    label: `pinned ${names.map((n) => `${n}=${args.packages[n]}`).join(' ')}`,
    facts: [installedFact, heldFact, ...(lockFact ? [lockFact] : [])],
    async plan(ctx) {
      const installed = await ctx.fact(installedFact);
      const held = await ctx.fact(heldFact);
      const missing = names.filter((n) => !installed.has(n));
      const other = names.filter((n) => installed.has(n) && installed.get(n) !== args.packages[n]);
      // installing another version of a held package with --allow-change-held-packages drops its hold
      // (seen on the lab's Debian 12 apt): hold it again
      const unheld = hold ? names.filter((n) => !held.has(n) || other.includes(n)) : [];
      if (missing.length + other.length + unheld.length === 0) {
        return ok(`${names.map((n) => `${n} ${args.packages[n]}`).join(', ')} installed${hold ? ' and held' : ''}`);
      }
      if (other.length > 0 && lockFact && (await ctx.fact(lockFact))) {
        const what = other.map((n) => `${n} ${installed.get(n)} (wanted ${args.packages[n]})`).join(', ');
        // refused while planning, so that --check fails as the apply would
        throw new Error(`${what}: ${args.keepVersionWhile!.reason}`);
      }
      const changes: Change[] = [];
      const steps: Command[] = [];
      const todo = [...missing, ...other];
      if (todo.length > 0) {
        if (missing.length > 0) changes.push({ summary: `install ${missing.map((n) => `${n}=${args.packages[n]}`).join(' ')}` });
        for (const n of other) changes.push({ summary: `${n} ${installed.get(n)} → ${args.packages[n]}` });
        const env = sh`DEBIAN_FRONTEND=noninteractive`;
        if (args.updateCache) steps.push(sh`${env} apt-get update -q`);
        steps.push(
          sh`${env} apt-get install -y -q --no-install-recommends --allow-change-held-packages --allow-downgrades -o Dpkg::Options::=--force-confold ${todo.map((n) => `${n}=${args.packages[n]}`)}`,
        );
      }
      if (unheld.length > 0) {
        changes.push({ summary: `hold ${unheld.join(' ')} (apt-mark)` });
        steps.push(sh`apt-mark hold ${unheld}`);
      }
      return change(changes, async (c) => {
        for (const s of steps) await c.run(s);
      });
    },
  };
}

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { connect } from '../connection/index.js';
import type { PlayDef } from '../engine/definitions.js';
import type { Recap, Reporter } from '../engine/events.js';
import { playHosts, resolveAllVars, runPlays } from '../engine/runner.js';
import { playTasks } from '../engine/play-tasks.js';
import { ParseError, UserError } from '../errors.js';
import { checkPlan, planWarnings } from '../plan/check.js';
import { collectClaims } from '../plan/collect.js';
import { formatAddressMap } from '../plan/map.js';
import { loadInventory } from '../inventory/index.js';
import { limitHosts } from '../inventory/limit.js';
import type { Inventory } from '../inventory/types.js';
import { JsonReporter } from '../ui/json.js';
import { LiveReporter } from '../ui/live.js';
import { PlainReporter } from '../ui/plain.js';
import { parseCliOptions, USAGE, type CliOptions } from './options.js';
import { reportError } from './report-error.js';
import { stepPrompt } from './step-prompt.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

/** ansible-playbook's exit codes from the recap. */
export function exitCodeOf(recap: Recap & { aborted?: boolean }): number {
  const hosts = Object.values(recap.hosts);
  if (recap.aborted || hosts.some((c) => c.failed > 0)) return 2;
  if (hosts.some((c) => c.unreachable > 0)) return 3;
  return 0;
}

function listHosts(plays: readonly PlayDef[], inventory: Inventory, limit: ReadonlySet<string> | undefined, io: Io) {
  for (const play of plays) {
    const hosts = playHosts(play, inventory, limit);
    io.out(`\nplay "${play.name}" (${play.hosts}): ${hosts.length} host(s)\n${hosts.map((h) => `    ${h.name}\n`).join('')}`);
  }
}

function listTasks(plays: readonly PlayDef[], opts: CliOptions, io: Io) {
  for (const play of plays) {
    io.out(`\nplay "${play.name}" (${play.hosts}):\n`);
    for (const t of playTasks(play, { only: opts.tags, skip: opts.skipTags })) io.out(`    ${t.label}\tTAGS: [${t.tags.join(', ')}]\n`);
  }
}

/** Ansible's --list-tags: per play, the tags of the tasks it would run (after --tags/--skip-tags), sorted. */
function listTags(plays: readonly PlayDef[], opts: CliOptions, io: Io) {
  for (const play of plays) {
    const tags = [...new Set(playTasks(play, { only: opts.tags, skip: opts.skipTags }).flatMap((t) => t.tags))].sort();
    io.out(`\nplay "${play.name}" (${play.hosts}):\n    TASK TAGS: [${tags.join(', ')}]\n`);
  }
}

/** The reporter of a run: --json, live progress on a terminal, else plain lines. */
export function reporterFor(opts: Pick<CliOptions, 'json' | 'diff' | 'verbose'>, io: Io): Reporter {
  const style = { diff: opts.diff, verbose: opts.verbose };
  if (opts.json) return new JsonReporter(io.out);
  return io.isTTY ? new LiveReporter(style) : new PlainReporter(style, io.out);
}

/**
 * Parses argv, loads the inventory (then `adjust`s it: playbooks/wake.ts adds
 * the implicit localhost), runs the plays; resolves with the exit code.
 */
export async function main(plays: readonly PlayDef[], argv: readonly string[], io: Io = processIo, adjust?: (inventory: Inventory) => Inventory): Promise<number> {
  try {
    const opts = parseCliOptions(argv);
    if (opts.help) {
      io.out(USAGE + '\n');
      return 0;
    }
    const loaded = await loadInventory(opts.inventory, {
      extraVars: opts.extraVars,
      vault: opts.vault,
      becomePassword: opts.becomePassword,
      commandTimeoutSeconds: opts.timeout,
      user: opts.user,
      privateKeyFile: opts.privateKeyFile,
      become: opts.become,
      becomeUser: opts.becomeUser,
    });
    const inventory = adjust ? adjust(loaded) : loaded;
    const limit = opts.limit ? limitHosts(inventory, opts.limit) : undefined;
    if (limit && limit.size === 0) throw new UserError(`--limit ${opts.limit} matches no host of the inventory`);
    if (opts.listHosts) {
      listHosts(plays, inventory, limit, io);
      return 0;
    }
    if (opts.listTasks) {
      listTasks(plays, opts, io);
      return 0;
    }
    if (opts.listTags) {
      listTags(plays, opts, io);
      return 0;
    }
    const vars = resolveAllVars(plays, inventory, limit);
    const claims = collectClaims(plays, inventory, vars, limit);
    const problems = checkPlan(claims);
    const warnings = planWarnings(claims);
    if (opts.plan) io.out(formatAddressMap(claims) + '\n');
    if (opts.html !== undefined || opts.svg !== undefined) {
      const { writePlanPictures } = await import('../plan/picture/write.js');
      for (const line of writePlanPictures({ html: opts.html, svg: opts.svg }, claims, problems, warnings)) io.err(`${line}\n`);
    }
    if (warnings.length > 0) io.err(`\nWARNING: the address plan has ${warnings.length} warning(s):\n${warnings.map((w) => `  - ${w}`).join('\n')}\n`);
    if (opts.plan) {
      if (problems.length === 0) {
        io.out('\naddress plan: no conflicts\n');
        return 0;
      }
    }
    if (problems.length > 0) {
      throw new ParseError(`the address plan has ${problems.length} problem(s); no host was touched:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    const step = opts.step ? stepPrompt() : undefined;
    // the live display would draw over the questions --step asks
    const reporter = reporterFor(opts, step ? { ...io, isTTY: false } : io);
    const recap = await runPlays(
      plays,
      inventory,
      {
        check: opts.check,
        forks: opts.forks,
        tags: { only: opts.tags, skip: opts.skipTags },
        limit,
        vars,
        startAt: opts.startAtTask,
        step,
      },
      reporter,
      (host) => connect(host.name, host.connection),
    );
    await reporter.finish(recap);
    return exitCodeOf(recap);
  } catch (e) {
    return reportError(e, io);
  }
}

/** Whether the module with this `import.meta.url` is the program being run (so a playbook can also be imported by tests). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;
}

/** Entry point of a playbook file: `await runPlaybook([play(...)])`. Exits the process. */
export async function runPlaybook(plays: readonly PlayDef[]): Promise<never> {
  const code = await main(plays, process.argv.slice(2));
  process.exit(code);
}

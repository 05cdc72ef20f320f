import { main, type Io } from '../../src/cli/main.js';
import { parseCliOptions } from '../../src/cli/options.js';
import { play, type PlayDef } from '../../src/engine/definitions.js';
import { OptionsError, ParseError, UserError } from '../../src/errors.js';
import { withImplicitLocalhost } from '../../src/inventory/implicit-localhost.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { redact } from '../../src/secret.js';
import { wol } from './index.js';
import { wakeTargets } from './vars.js';

/**
 * The wake plays for the hosts matching `pattern`: sleeping hosts cannot be
 * reached over SSH, so each play runs on a SENDER (a target's `wol.via`: the
 * controller `localhost` by default, or a relay host on the target's network)
 * and wakes that sender's targets. `localhost` is the controller even when the
 * inventory does not define it (Ansible's implicit localhost, see
 * withImplicitLocalhost); another relay must be an inventory host.
 */
export function wakePlays(inventory: Inventory, pattern: string): PlayDef[] {
  let targets;
  try {
    targets = wakeTargets(inventory, pattern);
  } catch (e) {
    throw new ParseError((e as Error).message);
  }
  const bySender = new Map<string, string[]>();
  for (const t of targets) bySender.set(t.via, [...(bySender.get(t.via) ?? []), t.name]);
  const missing = [...bySender.keys()].filter((via) => !withImplicitLocalhost(inventory).hosts.has(via));
  if (missing.length > 0) {
    throw new ParseError(
      missing.map((via) => `${bySender.get(via)!.join(', ')} would be woken from "${via}", which is not an inventory host`).join('\n'),
      'set wol.via on the targets to an inventory host on their network, or leave it unset to send from the controller',
    );
  }
  return [...bySender].map(([via, names]) =>
    play({ name: `wake ${names.join(', ')} from ${via}`, hosts: via, roles: [wol.with({ targets: names.join(',') })] }),
  );
}

/** Splits `-l X`, `-lX`, `--limit X`, `--limit=X` out of argv. */
export function takeLimit(argv: readonly string[]): { limit?: string; rest: string[] } {
  const rest: string[] = [];
  let limit: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-l' || a === '--limit') limit = argv[++i];
    else if (a.startsWith('--limit=')) limit = a.slice('--limit='.length);
    else if (a.startsWith('-l') && a.length > 2 && !a.startsWith('--')) limit = a.slice(2);
    else rest.push(a);
  }
  return { limit, rest };
}

/**
 * `wake.ts -i INVENTORY --limit TARGETS [--check] …`: here `--limit` names the
 * hosts to WAKE; the plays run on their senders. Every other option is the
 * engine's own. Resolves with the exit code.
 */
export async function wakeMain(argv: readonly string[], io?: Io): Promise<number> {
  const err = io?.err ?? ((s: string) => void process.stderr.write(s));
  const { limit, rest } = takeLimit(argv);
  let plays: PlayDef[];
  try {
    if (argv.includes('-h') || argv.includes('--help')) {
      (io?.out ?? ((s: string) => void process.stdout.write(s)))('wake.ts: -l/--limit PATTERN names the hosts to WAKE (required); the plays run on their senders (wol.via, default the controller: localhost, defined in the inventory or not).\n');
      return main([], ['--help'], io);
    }
    if (!limit) throw new OptionsError('wake needs --limit TARGETS: the hosts to wake (their `mac` var is what the packet carries)', 'e.g. --limit workers');
    const opts = parseCliOptions(rest);
    const inventory = await loadInventory(opts.inventory, { extraVars: opts.extraVars });
    plays = wakePlays(inventory, limit);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    err(redact(`ERROR: ${e.message}${e.hint ? `\n(${e.hint})` : ''}\n`));
    return e.exitCode;
  }
  return main(plays, rest, io, withImplicitLocalhost);
}

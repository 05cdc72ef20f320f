import { parseArgs } from 'node:util';
import { connect } from '../connection/index.js';
import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { runPlays } from '../engine/runner.js';
import { OptionsError } from '../errors.js';
import { commandLinePath } from '../inventory/controller-path.js';
import { loadInventory } from '../inventory/index.js';
import { limitHosts } from '../inventory/limit.js';
import type { Inventory } from '../inventory/types.js';
import { redact, redactDeep } from '../secret.js';
import { Command } from '../shell/quote.js';
import { formatHostResult } from '../ui/format.js';
import { adHocPlay, capturedCommand, readFact } from './ad-hoc.js';
import { factNamed, factUsage } from './fact-names.js';
import { exitCodeOf, reporterFor, type Io } from './main.js';
import { readExtraVars } from './options.js';
import { readSecretOptions, VAULT_FLAGS, VAULT_USAGE } from './vault-options.js';

export const EXEC_USAGE = `usage: labwright exec PATTERN -i INVENTORY [options] -- COMMAND [ARG…]
       labwright exec PATTERN -i INVENTORY [options] --fact NAME[=ARG]

Runs one shell command on every host of PATTERN (Ansible's ad-hoc mode, \`ansible PATTERN -m shell -a CMD\`),
over the connections a playbook uses, and prints each host's status and output, then the recap.
With --fact, prints a built-in fact of each host as one JSON object (host name → value) instead.

  -i, --inventory INV      inventory file (YAML or INI) or directory (repeatable)
  -l, --limit PATTERN      further limit the hosts to an Ansible host pattern (@FILE: the hosts listed in FILE)
  -f, --forks N            hosts worked on in parallel (default 10)
  -u, --user USER          connect as USER (hosts whose inventory sets no ansible_user)
      --private-key FILE   offer this SSH key first (hosts that set no ansible_ssh_private_key_file)
  -b, --become             run the command through sudo (as --become-user, default root); facts are read as the inventory says
      --become-user USER   the user sudo runs the command as
  -C, --check              change nothing: report that the command would run (its effect cannot be predicted)
  -e, --extra-vars VARS    k=v pairs, a YAML/JSON object, or @file.yaml (repeatable; highest precedence)
      --fact NAME[=ARG]    print a fact as JSON: ${factUsage()}
      --json               print one JSON document (events with each host's stdout, and the recap)
${VAULT_USAGE}
  -v, --verbose            more detail (-vv: timings)
  -h, --help               this text

exit codes: 0 ok, 1 error, 2 the command failed on a host, 3 a host was unreachable, 4 inventory error, 5 bad options`;

/** The flags of `labwright exec` (parser and shell completion). */
export const EXEC_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l' },
  forks: { type: 'string', short: 'f' },
  user: { type: 'string', short: 'u' },
  'private-key': { type: 'string' },
  become: { type: 'boolean', short: 'b' },
  'become-user': { type: 'string' },
  check: { type: 'boolean', short: 'C' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  fact: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  help: { type: 'boolean', short: 'h' },
  ...VAULT_FLAGS,
} as const;

/** `labwright exec …` (see EXEC_USAGE). */
export async function execCommand(argv: readonly string[], io: Io): Promise<number> {
  const split = argv.indexOf('--');
  const before = split < 0 ? argv : argv.slice(0, split);
  const words = split < 0 ? [] : argv.slice(split + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: [...before], allowPositionals: true, options: EXEC_FLAGS });
  } catch (error) {
    throw new OptionsError((error as Error).message, 'see labwright exec --help');
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.out(EXEC_USAGE + '\n');
    return 0;
  }
  const [pattern, ...extra] = positionals;
  if (!pattern) throw new OptionsError('no PATTERN given: say which hosts, e.g. `labwright exec all -i INV -- uptime`', 'see labwright exec --help');
  if (extra.length > 0) throw new OptionsError(`unexpected argument ${JSON.stringify(extra[0])}: the command goes after --`, 'labwright exec PATTERN -i INV -- COMMAND');
  if (v.fact !== undefined && split >= 0) throw new OptionsError('give either --fact NAME or a command after --, not both');
  if (v.fact === undefined && words.join('').trim() === '') throw new OptionsError('no command given: put it after --, or use --fact NAME', 'labwright exec PATTERN -i INV -- COMMAND');
  const inventoryPaths = v.inventory ?? [];
  if (inventoryPaths.length === 0 || inventoryPaths.includes('')) throw new OptionsError('-i/--inventory: at least one inventory file or directory is required');
  const forks = Number(v.forks ?? '10');
  if (!/^\d+$/.test(v.forks ?? '10') || forks < 1 || forks > 500) throw new OptionsError(`-f/--forks: expected a whole number from 1 to 500, got ${JSON.stringify(v.forks)}`);
  if (v.limit === '') throw new OptionsError('-l/--limit: the pattern is empty');
  if (v['become-user'] === '') throw new OptionsError('--become-user: the user name is empty');
  if (v.user === '') throw new OptionsError('-u/--user: the user name is empty');
  if (v['private-key'] === '') throw new OptionsError('--private-key: the file name is empty');
  const privateKeyFile = v['private-key'] === undefined ? undefined : commandLinePath(v['private-key']);
  const fact = v.fact === undefined ? undefined : factNamed(v.fact);
  const { vault, becomePassword } = readSecretOptions(v);
  const extraVars = Object.assign({}, ...(v['extra-vars'] ?? []).map((e) => readExtraVars(e, vault)));

  const inventory = await loadInventory(inventoryPaths, { extraVars, vault, becomePassword, user: v.user, privateKeyFile });
  const limit = v.limit === undefined ? undefined : limitHosts(inventory, v.limit);
  const hosts = inventory.select(pattern).filter((h) => !limit || limit.has(h.name));
  if (hosts.length === 0) throw noHosts(pattern, v.limit, inventory);

  const becomeUser = v['become-user'];
  const connectHost = (host: (typeof hosts)[number]) => connect(host.name, becomeUser ? { ...host.connection, becomeUser } : host.connection);
  const style = { json: v.json ?? false, diff: false, verbose: (v.verbose ?? []).length };
  const runOptions = { forks, tags: { only: [], skip: [] }, limit };

  if (fact) {
    const values = new Map<string, unknown>();
    const ad = adHocPlay(pattern, `fact ${v.fact}`, (host) => readFact(fact, (value) => values.set(host.name, value)));
    // facts are read-only: a check-mode run takes no lock and changes nothing
    const recap = await runPlays([ad], inventory, { ...runOptions, check: true }, failuresTo(io, style), connectHost);
    const byHost = Object.fromEntries(hosts.filter((h) => values.has(h.name)).map((h) => [h.name, values.get(h.name)]));
    io.out(factJson(byHost) + '\n');
    return exitCodeOf(recap);
  }

  const text = words.join(' ');
  const run = new Command(text, redact(text));
  const stdout = new Map<string, string>();
  const ad = adHocPlay(pattern, run.shown, (host) => capturedCommand(run, v.become || undefined, (out) => stdout.set(host.name, out)));
  const reporter = withStdout(reporterFor(style, io), stdout);
  const recap = await runPlays([ad], inventory, { ...runOptions, check: v.check ?? false }, reporter, connectHost);
  await reporter.finish(recap);
  return exitCodeOf(recap);
}

/** PATTERN (after --limit) matches no host: exit 5, naming the groups there are. */
function noHosts(pattern: string, limit: string | undefined, inventory: Inventory): OptionsError {
  const groups = [...inventory.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped');
  const where = limit === undefined ? '' : ` within --limit ${limit}`;
  return new OptionsError(`pattern ${JSON.stringify(pattern)} matches no host of the inventory${where}`, `groups: ${groups.join(', ') || 'none'}; hosts: all, or a host name`);
}

/** Each host result carries the stdout its command printed (kept by the op as it ran). */
function withStdout(reporter: Reporter, stdout: ReadonlyMap<string, string>): Reporter {
  return {
    event(e: RunEvent) {
      reporter.event(e.type === 'host:result' && stdout.has(e.host) ? { ...e, stdout: stdout.get(e.host) } : e);
    },
    finish: (recap: Recap) => reporter.finish(recap),
  };
}

/** For --fact: stdout is the JSON alone; a host that failed or was unreachable is told on stderr. */
function failuresTo(io: Io, style: { verbose: number }): Reporter {
  return {
    event(e: RunEvent) {
      if (e.type === 'host:result' && (e.status === 'failed' || e.status === 'unreachable')) io.err(formatHostResult(e, { diff: false, verbose: style.verbose }) + '\n');
    },
    finish: async () => {},
  };
}

/** Facts as JSON: Maps (package versions) as objects, secrets masked. */
function factJson(value: unknown): string {
  const plain = (_key: string, item: unknown) => (item instanceof Map ? Object.fromEntries(item) : item);
  return JSON.stringify(redactDeep(JSON.parse(JSON.stringify(value, plain))), null, 2);
}

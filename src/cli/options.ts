import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { z } from 'zod';
import { OptionsError, ParseError } from '../errors.js';
import { commandLinePath } from '../inventory/controller-path.js';
import { readVars, rootEntry } from '../inventory/nodes.js';
import { parseYaml, readYamlSourceSync, type YamlSource } from '../inventory/yaml.js';
import { parseTagList } from '../engine/tags.js';
import { Secret } from '../secret.js';
import { VaultKeyring } from '../vault/keyring.js';
import { readSecretOptions, VAULT_FLAGS, VAULT_USAGE } from './vault-options.js';

export const USAGE = `usage: npx tsx playbooks/PLAYBOOK.ts -i INVENTORY [options]

  -i, --inventory INV      inventory file (YAML or INI) or directory of them (repeatable)
  -C, --check              plan only: show what would change, change nothing
  -D, --diff               show unified diffs of file changes
  -t, --tags LIST          run only tasks with these tags (comma list, repeatable)
      --skip-tags LIST     skip tasks with these tags
  -l, --limit PATTERN      limit to hosts matching an Ansible pattern (gateways:!gw2; @FILE: the hosts listed in FILE)
  -f, --forks N            hosts worked on in parallel (default 10)
  -u, --user USER          connect as USER (hosts whose inventory sets no ansible_user)
      --private-key FILE   offer this SSH key first (hosts that set no ansible_ssh_private_key_file)
  -b, --become             run tasks through sudo (hosts that set no ansible_become)
      --become-user USER   the user sudo runs tasks as (hosts that set no ansible_become_user)
  -e, --extra-vars VARS    k=v pairs, a YAML/JSON object, or @file.yaml (repeatable; highest precedence)
      --json               print one JSON document (events + recap) instead of progress
      --plan               check the address plan offline (no host is contacted) and print the address map
      --html FILE          also draw the address plan as a self-contained HTML page (conflicts in red)
      --svg FILE           also draw the address plan as an SVG image
      --list-hosts         list the hosts each play would run on, then exit
      --list-tasks         list the tasks each play would run (with tags), then exit
      --list-tags          list the tags of the tasks each play would run, then exit
      --start-at-task NAME start at the first task of this name ("task" or "role : task")
      --step               confirm each task before it runs (needs a terminal)
      --timeout SECONDS    command ceiling of the hosts whose inventory sets no labwright_command_timeout
${VAULT_USAGE}
  -v, --verbose            more detail (-vv: timings)
  -h, --help               this text

exit codes: 0 ok, 1 error, 2 a task failed, 3 a host was unreachable, 4 inventory/playbook error, 5 bad options`;

const optionsSchema = z.object({
  inventory: z.array(z.string().min(1)).min(1, 'at least one -i/--inventory FILE is required'),
  check: z.boolean(),
  diff: z.boolean(),
  tags: z.array(z.string()),
  skipTags: z.array(z.string()),
  limit: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  privateKeyFile: z.string().min(1).transform(commandLinePath).optional(),
  become: z.boolean().optional(),
  becomeUser: z.string().min(1).optional(),
  forks: z.coerce.number().int('must be a whole number').min(1).max(500),
  extraVars: z.record(z.string(), z.unknown()),
  json: z.boolean(),
  plan: z.boolean(),
  html: z.string().min(1, 'expected a file name').optional(),
  svg: z.string().min(1, 'expected a file name').optional(),
  listHosts: z.boolean(),
  listTasks: z.boolean(),
  listTags: z.boolean(),
  startAtTask: z.string().min(1, 'expected a task name').optional(),
  step: z.boolean(),
  timeout: z.coerce.number().int('must be a whole number of seconds').min(1).max(86_400).optional(),
  verbose: z.number().int(),
  help: z.boolean(),
  vault: z.instanceof(VaultKeyring),
  becomePassword: z.instanceof(Secret).optional(),
});

export type CliOptions = z.infer<typeof optionsSchema>;

/**
 * `-e` value → vars: `@file.yaml`, a YAML/JSON object, or `k=v k2=v2` (values
 * typed as YAML scalars). Files and objects are read like the inventory
 * (YAML 1.1, `!secret` stays a Secret, strict UTF-8, no alias bombs); any
 * mistake is an OptionsError naming where it is.
 */
export function parseExtraVars(value: string): Record<string, unknown> {
  return readExtraVars(value);
}

/** parseExtraVars, with vault passwords for `-e @vault.yml` and `!vault` values (none: such data is refused). */
export function readExtraVars(value: string, vault?: VaultKeyring): Record<string, unknown> {
  if (value.startsWith('@')) return asOption(value, () => mappingOf(readYamlSourceSync(value.slice(1), vault)));
  if (value.trim().startsWith('{')) return asOption(value, () => mappingOf(parseYaml(`-e ${JSON.stringify(value)}`, value, vault)));
  const out: Record<string, unknown> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/gy;
  const text = value.trim();
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new OptionsError(`-e ${JSON.stringify(value)}: expected key=value pairs, @file.yaml or a {…} mapping`);
    const raw = m[2];
    out[m[1]] = /^["']/.test(raw) ? raw.slice(1, -1) : raw === '' ? '' : scalar(value, raw);
    pos = re.lastIndex;
    while (text[pos] === ' ') pos++;
  }
  return out;
}

/** The variables of a parsed `-e` document (empty: none). */
function mappingOf(source: YamlSource): Record<string, unknown> {
  return Object.fromEntries([...readVars(source, rootEntry(source))].map(([key, { value }]) => [key, value]));
}

/** `read()`, its ParseError (bad file, bad YAML) made an OptionsError (exit 5). */
function asOption<T>(value: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ParseError) throw new OptionsError(value.startsWith('@') ? `-e ${value}: ${error.message}` : error.message);
    throw error;
  }
}

/** A k=v value typed as a YAML scalar; anything YAML errs or warns about (`[1`, `!tag x`, `%`) is refused. */
function scalar(value: string, raw: string): unknown {
  const refused = new OptionsError(`-e ${JSON.stringify(value)}: ${raw} is not a YAML value (quote it to pass it as a string)`);
  const doc = YAML.parseDocument(raw);
  if (doc.errors.length > 0 || doc.warnings.length > 0) throw refused;
  try {
    return doc.toJS(); // an alias (*a) has no anchor here
  } catch {
    throw refused;
  }
}

/** The flags of a playbook run (`tsx PLAYBOOK.ts`, `labwright run`): parser and shell completion. */
export const PLAYBOOK_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  limit: { type: 'string', short: 'l' },
  user: { type: 'string', short: 'u' },
  'private-key': { type: 'string' },
  become: { type: 'boolean', short: 'b' },
  'become-user': { type: 'string' },
  forks: { type: 'string', short: 'f' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  json: { type: 'boolean' },
  plan: { type: 'boolean' },
  html: { type: 'string' },
  svg: { type: 'string' },
  'list-hosts': { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  'list-tags': { type: 'boolean' },
  'start-at-task': { type: 'string' },
  step: { type: 'boolean' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  help: { type: 'boolean', short: 'h' },
  ...VAULT_FLAGS,
} as const;

export function parseCliOptions(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: PLAYBOOK_FLAGS,
    });
  } catch (e) {
    throw new OptionsError((e as Error).message, 'see --help');
  }
  const v = parsed.values;
  const help = v.help ?? false;
  // Passwords first (as Ansible): `-e @vault.yml` needs them.
  const { vault, becomePassword } = help ? { vault: new VaultKeyring(), becomePassword: undefined } : readSecretOptions(v);
  const result = optionsSchema.safeParse({
    inventory: help ? ['-'] : (v.inventory ?? []),
    check: v.check ?? false,
    diff: v.diff ?? false,
    tags: parseTagList(v.tags ?? []),
    skipTags: parseTagList(v['skip-tags'] ?? []),
    limit: v.limit,
    user: v.user,
    privateKeyFile: v['private-key'],
    become: v.become,
    becomeUser: v['become-user'],
    forks: v.forks ?? '10',
    extraVars: Object.assign({}, ...(v['extra-vars'] ?? []).map((e) => readExtraVars(e, vault))),
    json: v.json ?? false,
    plan: v.plan ?? false,
    html: v.html,
    svg: v.svg,
    listHosts: v['list-hosts'] ?? false,
    listTasks: v['list-tasks'] ?? false,
    listTags: v['list-tags'] ?? false,
    startAtTask: v['start-at-task'],
    step: v.step ?? false,
    timeout: v.timeout,
    verbose: (v.verbose ?? []).length,
    help,
    vault,
    becomePassword,
  });
  if (!result.success) {
    const flag = (key: string) =>
      ({ inventory: '-i/--inventory', forks: '-f/--forks', limit: '-l/--limit', startAtTask: '--start-at-task', user: '-u/--user', privateKeyFile: '--private-key', becomeUser: '--become-user' })[key] ?? `--${key}`;
    throw new OptionsError(result.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join('\n'), 'see --help');
  }
  const { listHosts, listTasks, listTags, html, svg } = result.data;
  const listing = listHosts ? '--list-hosts' : listTasks ? '--list-tasks' : listTags ? '--list-tags' : undefined;
  if (listing && (html !== undefined || svg !== undefined)) {
    // a listing stops before the address plan is made: the picture would silently not be drawn
    throw new OptionsError(`${html !== undefined ? '--html' : '--svg'} draws the address plan, which ${listing} does not make`, 'drop one of them, or draw with --plan');
  }
  return result.data;
}

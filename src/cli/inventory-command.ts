import { parseArgs } from 'node:util';
import { OptionsError, UserError } from '../errors.js';
import { inventoryGraph, inventoryList } from '../inventory/ansible-view.js';
import { loadInventory } from '../inventory/index.js';
import { limitHosts } from '../inventory/limit.js';
import { isSecret, redact } from '../secret.js';
import type { Io } from './main.js';
import { readExtraVars } from './options.js';
import { readSecretOptions, VAULT_FLAGS, VAULT_USAGE } from './vault-options.js';
import type { VaultKeyring } from '../vault/keyring.js';
import { rawVars } from '../inventory/lazy-vars.js';

export const INVENTORY_USAGE = `usage: labwright inventory -i INVENTORY (--list | --graph [GROUP] | --host NAME) [options]

Shows the inventory as labwright reads it, in ansible-inventory's formats (secrets masked).

  -i, --inventory INV      inventory file (YAML or INI, told apart by content) or directory of them (repeatable)
      --list               every group (hosts, children) and _meta.hostvars, as JSON
      --graph [GROUP]      the group tree from GROUP (default all)
      --host NAME          the variables of one host, as JSON
  -l, --limit PATTERN      only hosts matching an Ansible host pattern (gateways:!gw2, workers[0:2], @FILE)
  -e, --extra-vars VARS    k=v pairs, a YAML/JSON object, or @file.yaml (repeatable; highest precedence)
${VAULT_USAGE.split('\n').filter((line) => !line.includes('become')).join('\n')}
  -h, --help               this text

exit codes: 0 ok, 1 error, 4 inventory/vars error, 5 bad options`;

/** The flags of `labwright inventory` (parser and shell completion). */
export const INVENTORY_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  list: { type: 'boolean' },
  graph: { type: 'boolean' },
  host: { type: 'string' },
  limit: { type: 'string', short: 'l' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  help: { type: 'boolean', short: 'h' },
  ...VAULT_FLAGS,
} as const;

type Action = { kind: 'list' } | { kind: 'graph'; group: string } | { kind: 'host'; name: string };

interface InventoryOptions {
  readonly inventory: readonly string[];
  readonly action: Action;
  readonly limit?: string;
  readonly extraVars: Record<string, unknown>;
  readonly vault: VaultKeyring;
}

/** `labwright inventory …` (see INVENTORY_USAGE). */
export async function inventoryCommand(argv: readonly string[], io: Io): Promise<number> {
  const opts = parseInventoryOptions(argv);
  if (!opts) {
    io.out(INVENTORY_USAGE + '\n');
    return 0;
  }
  const inventory = await loadInventory([...opts.inventory], { extraVars: opts.extraVars, vault: opts.vault });
  const selected = opts.limit ? limitHosts(inventory, opts.limit) : undefined;
  if (selected && selected.size === 0) throw new UserError(`--limit ${opts.limit} matches no host of the inventory`);
  const { action } = opts;
  switch (action.kind) {
    case 'list':
      io.out(json(inventoryList(inventory, selected)) + '\n');
      break;
    case 'graph':
      if (!inventory.groups.has(action.group)) {
        throw new OptionsError(`--graph ${action.group}: no such group in the inventory`, 'give a group name, or nothing for all');
      }
      io.out(redact(inventoryGraph(inventory, action.group, selected)) + '\n');
      break;
    case 'host': {
      const host = inventory.hosts.get(action.name);
      if (!host) throw new OptionsError(`--host ${action.name}: no such host in the inventory`);
      io.out(json(rawVars(host.vars)) + '\n');
      break;
    }
  }
  return 0;
}

/** The options, or undefined for --help. Every mistake is an OptionsError (exit 5). */
function parseInventoryOptions(argv: readonly string[]): InventoryOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: INVENTORY_FLAGS,
    });
  } catch (error) {
    throw new OptionsError((error as Error).message, 'see labwright inventory --help');
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const actions = [values.list && '--list', values.graph && '--graph', values.host !== undefined && '--host'].filter(Boolean);
  if (actions.length !== 1) {
    const reason = actions.length === 0 ? 'no action given' : `${actions.join(' and ')} given`;
    throw new OptionsError(`${reason}: use exactly one of --list, --graph or --host`, 'see labwright inventory --help');
  }
  if (positionals.length > (values.graph ? 1 : 0)) {
    throw new OptionsError(`unexpected argument ${JSON.stringify(positionals.at(-1))}`, 'only --graph takes a GROUP');
  }
  const inventory = values.inventory ?? [];
  if (inventory.length === 0 || inventory.some((path) => path === '')) {
    throw new OptionsError('-i/--inventory: at least one inventory file or directory is required', 'see labwright inventory --help');
  }
  if (values.limit === '') throw new OptionsError('-l/--limit: the pattern is empty');
  const { vault } = readSecretOptions({ ...values, 'ask-become-pass': false });
  const action: Action = values.list
    ? { kind: 'list' }
    : values.graph
      ? { kind: 'graph', group: positionals[0] ?? 'all' }
      : { kind: 'host', name: values.host! };
  return {
    inventory,
    action,
    limit: values.limit,
    vault,
    extraVars: Object.assign({}, ...(values['extra-vars'] ?? []).map((value) => readExtraVars(value, vault))),
  };
}

/** JSON as ansible-inventory prints it (keys sorted, 4 spaces), secrets masked. */
function json(value: unknown): string {
  const sorted = (_key: string, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) && !isSecret(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item;
  return redact(JSON.stringify(value, sorted, 4));
}

import type { Io } from './main.js';

/** A `labwright <name> …` subcommand: runs with the arguments after its name, resolves with the exit code (errors: throw UserError). */
export type Subcommand = (argv: readonly string[], io: Io) => Promise<number>;

/**
 * The subcommand table. A new subcommand (run, exec, plan, init, vault) is one
 * entry here and one module, loaded only when it is the one asked for.
 */
export const SUBCOMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Subcommand> }>> = {
  run: {
    summary: 'run a playbook file (PLAYBOOK.ts -i INV [flags]) as `npx tsx PLAYBOOK.ts` does',
    load: async () => (await import('./run-command.js')).runCommand,
  },
  plan: {
    summary: 'check and print the address plan offline (-i INV [PLAYBOOK.ts]; default: the site playbook)',
    load: async () => (await import('./plan-command.js')).planCommand,
  },
  init: {
    summary: 'create a project in a new folder: package.json, tsconfig.json, playbooks/site.ts, inventory/home.yaml',
    load: async () => (await import('./init-command.js')).initCommand,
  },
  exec: {
    summary: 'run one command on the hosts of a pattern (PATTERN -i INV -- COMMAND…), or print a fact (--fact NAME) as JSON',
    load: async () => (await import('./exec-command.js')).execCommand,
  },
  inventory: {
    summary: 'show the inventory as ansible-inventory does (--list JSON, --graph, --host NAME)',
    load: async () => (await import('./inventory-command.js')).inventoryCommand,
  },
  vault: {
    summary: 'encrypt, decrypt, view files and encrypt_string values as ansible-vault does',
    load: async () => (await import('./vault-command.js')).vaultCommand,
  },
};

import type { Io } from './main.js';

/** Flags as node:util parseArgs takes them: the one definition the parser and shell completion share. */
export type FlagTable = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }>>;

/** What shell completion offers after a subcommand's name: its flags, and the words its first argument may be. */
export interface CompletionSpec {
  readonly flags: FlagTable;
  readonly words?: readonly string[];
}

/** A `labwright <name> …` subcommand: runs with the arguments after its name, resolves with the exit code (errors: throw UserError). */
export type Subcommand = (argv: readonly string[], io: Io) => Promise<number>;

/**
 * The subcommand table. A new subcommand (run, exec, plan, init, vault) is one
 * entry here and one module, loaded only when it is the one asked for.
 */
export const SUBCOMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Subcommand>; completion: () => Promise<CompletionSpec> }>> = {
  run: {
    summary: 'run a playbook file (PLAYBOOK.ts -i INV [flags]) as `npx tsx PLAYBOOK.ts` does',
    load: async () => (await import('./run-command.js')).runCommand,
    completion: async () => ({ flags: (await import('./options.js')).PLAYBOOK_FLAGS }),
  },
  plan: {
    summary: 'check and print the address plan offline (-i INV [PLAYBOOK.ts]; default: the site playbook)',
    load: async () => (await import('./plan-command.js')).planCommand,
    completion: async () => ({ flags: (await import('./plan-command.js')).PLAN_FLAGS }),
  },
  init: {
    summary: 'create a project in a new folder: package.json, tsconfig.json, playbooks/site.ts, inventory/home.yaml',
    load: async () => (await import('./init-command.js')).initCommand,
    completion: async () => ({ flags: (await import('./init-command.js')).INIT_FLAGS }),
  },
  exec: {
    summary: 'run one command on the hosts of a pattern (PATTERN -i INV -- COMMAND…), or print a fact (--fact NAME) as JSON',
    load: async () => (await import('./exec-command.js')).execCommand,
    completion: async () => ({ flags: (await import('./exec-command.js')).EXEC_FLAGS }),
  },
  inventory: {
    summary: 'show the inventory as ansible-inventory does (--list JSON, --graph, --host NAME)',
    load: async () => (await import('./inventory-command.js')).inventoryCommand,
    completion: async () => ({ flags: (await import('./inventory-command.js')).INVENTORY_FLAGS }),
  },
  completion: {
    summary: 'print a bash or zsh completion script (bash: source <(labwright completion bash))',
    load: async () => (await import('./completion-command.js')).completionCommand,
    completion: async () => {
      const { COMPLETION_FLAGS, SHELLS } = await import('./completion-command.js');
      return { flags: COMPLETION_FLAGS, words: SHELLS };
    },
  },
  vault: {
    summary: 'encrypt, decrypt, view files and encrypt_string values as ansible-vault does',
    load: async () => (await import('./vault-command.js')).vaultCommand,
    completion: async () => {
      const { VAULT_COMMAND_FLAGS, ACTIONS } = await import('./vault-command.js');
      return { flags: VAULT_COMMAND_FLAGS, words: ACTIONS };
    },
  },
};

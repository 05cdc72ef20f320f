import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OptionsError } from '../errors.js';
import type { Io } from './main.js';
import { PACKAGE_SITE_PLAYBOOK } from './package-files.js';
import { runPlaybookFile } from './run-command.js';
import { VAULT_FLAGS, VAULT_USAGE } from './vault-options.js';

export const PLAN_USAGE = `usage: labwright plan -i INVENTORY [PLAYBOOK.ts] [options]

Checks the address plan offline (no host is contacted) and prints the address map: what
\`labwright run PLAYBOOK.ts -i INVENTORY --plan\` prints. PLAYBOOK defaults to playbooks/site.ts
of the current folder when there is one, else labwright's own site playbook.

  -i, --inventory INV      inventory file or directory (repeatable)
  -l, --limit PATTERN      only hosts matching an Ansible host pattern (gateways:!gw2; @FILE: the hosts listed in FILE)
  -e, --extra-vars VARS    k=v pairs, a YAML/JSON object, or @file.yaml (repeatable; highest precedence)
      --html FILE          also draw the plan as a self-contained HTML page (each LAN an address line, conflicts in red)
      --svg FILE           also draw the plan as an SVG image
${VAULT_USAGE}
  -h, --help               this text

exit codes: 0 no conflicts, 1 error, 4 inventory/playbook error or conflicts in the plan, 5 bad options`;

/** The flags of `labwright plan` (parser and shell completion). */
export const PLAN_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  html: { type: 'string' },
  svg: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...VAULT_FLAGS,
} as const;

/** `labwright plan …` (see PLAN_USAGE): the playbook run with --plan and the other flags as given. */
export async function planCommand(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: PLAN_FLAGS, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new OptionsError((error as Error).message, 'see labwright plan --help');
  }
  if (parsed.values.help) {
    io.out(PLAN_USAGE + '\n');
    return 0;
  }
  const positionals = parsed.tokens.filter((token) => token.kind === 'positional');
  if (positionals.length > 1) throw new OptionsError(`labwright plan takes one playbook, got ${positionals.map((p) => p.value).join(', ')}`, 'see labwright plan --help');
  const flags = argv.filter((_, index) => index !== positionals[0]?.index);
  const playbook = positionals[0]?.value;
  const file = playbook ? resolve(playbook) : defaultPlaybook();
  return runPlaybookFile(file, [...flags, '--plan'], playbook);
}

/** playbooks/site.ts of the project in the working folder, else the package's site playbook. */
function defaultPlaybook(): string {
  const project = resolve('playbooks/site.ts');
  return existsSync(project) ? project : fileURLToPath(PACKAGE_SITE_PLAYBOOK);
}

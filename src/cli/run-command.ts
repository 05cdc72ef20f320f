import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionsError, ParseError, UserError } from '../errors.js';
import type { Io } from './main.js';
import { USAGE } from './options.js';
import { loadTypeScript } from './typescript.js';

/** The playbook options, as `--help` of a playbook shows them. */
export const PLAYBOOK_OPTIONS = USAGE.slice(USAGE.indexOf('\n\n') + 2);

export const RUN_USAGE = `usage: labwright run PLAYBOOK.ts -i INVENTORY [options]

Runs a playbook file as \`npx tsx PLAYBOOK.ts …\` does: the same options, output and exit codes.

${PLAYBOOK_OPTIONS}`;

/** `labwright run PLAYBOOK [flags]` (see RUN_USAGE). */
export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const [playbook, ...flags] = argv;
  if (playbook === '-h' || playbook === '--help') {
    io.out(RUN_USAGE + '\n');
    return 0;
  }
  if (playbook === undefined) throw new OptionsError('labwright run: which playbook? give its file first', 'labwright run PLAYBOOK.ts -i INVENTORY [options]; see labwright run --help');
  if (playbook.startsWith('-')) throw new OptionsError(`labwright run: the playbook file comes first (got the option ${playbook})`, 'labwright run PLAYBOOK.ts -i INVENTORY [options]');
  return runPlaybookFile(resolve(playbook), flags, playbook);
}

/**
 * Runs a playbook module in this process as if it were the program
 * (`process.argv` is `node PLAYBOOK …flags`, so its `isMain(import.meta.url)`
 * holds and `runPlaybook` reads the flags and exits with the run's code).
 * Resolves only when the module ran no playbook.
 */
export async function runPlaybookFile(file: string, flags: readonly string[], shown = file): Promise<number> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new ParseError(`${shown}: no such playbook file`);
  if (/\.[cm]?tsx?$/.test(file)) await loadTypeScript();
  process.argv = [process.argv[0], file, ...flags];
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new ParseError(`${shown}: cannot load the playbook: ${(error as Error).message}`);
  }
  throw new ParseError(
    `${shown} ran no plays`,
    'a playbook file ends with `if (isMain(import.meta.url)) await runPlaybook(plays);` (isMain and runPlaybook come from labwright)',
  );
}

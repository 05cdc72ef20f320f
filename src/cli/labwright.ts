import { OptionsError } from '../errors.js';
import { SUBCOMMANDS } from './commands.js';
import type { Io } from './main.js';
import { packageJson } from './package-files.js';
import { reportError } from './report-error.js';

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

export const LABWRIGHT_USAGE = `usage: labwright COMMAND [options]   (in a clone: npx labwright COMMAND …)

commands:
${Object.entries(SUBCOMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(12)} ${summary}`)
  .join('\n')}

\`labwright COMMAND --help\` (or \`labwright help COMMAND\`) describes a command's options; \`labwright --version\` prints the version.
exit codes: 0 ok, 1 error, 4 inventory/vars error, 5 bad options`;

/** `labwright COMMAND …`: runs the subcommand named by argv[0]; resolves with the exit code. */
export async function runLabwright(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === '--version') {
      io.out(`labwright ${packageJson().version}\n`);
      return 0;
    }
    if (name === 'help' && rest.length > 0) return await runLabwright([rest[0], '--help'], io);
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      (name === undefined ? io.err : io.out)(LABWRIGHT_USAGE + '\n');
      return name === undefined ? 5 : 0;
    }
    const command = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
    if (!command) {
      const known = Object.keys(SUBCOMMANDS).join(', ');
      throw new OptionsError(`unknown command "${name}": the commands are ${known}`, 'see labwright --help');
    }
    return await (await command.load())(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { SUBCOMMANDS } from './commands.js';
import { runLabwright } from './labwright.js';

async function labwright(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright --help and --version', () => {
  it.each(Object.keys(SUBCOMMANDS))('labwright %s --help describes that command (labwright help COMMAND too), exit 0', async (name) => {
    const help = await labwright(name, '--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(new RegExp(`^usage: labwright ${name} `));
    expect(help.stdout).toMatch(/exit codes: 0 /);
    expect(await labwright('help', name)).toEqual(help);
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await labwright('--version')).toEqual({ code: 0, stdout: `labwright ${version}\n`, stderr: '' });
  });

  it('the overview lists every command and says how to get help and the version', async () => {
    const { code, stdout } = await labwright('--help');
    expect(code).toBe(0);
    for (const name of Object.keys(SUBCOMMANDS)) expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(stdout).toContain('`labwright --version` prints the version');
  });
});

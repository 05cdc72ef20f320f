import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { SUBCOMMANDS } from './commands.js';
import { runLabwright } from './labwright.js';
import { parseCliOptions } from './options.js';

/** `labwright completion bash|zsh`: scripts made from the flag tables the parsers use, tried in a real bash (and zsh). */
let dir: string;
let bashFile: string;
let zshFile: string;

async function labwright(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const hasZsh = (() => {
  try {
    execFileSync('zsh', ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-completion-'));
  bashFile = join(dir, 'labwright.bash');
  zshFile = join(dir, '_labwright');
  writeFileSync(bashFile, (await labwright('completion', 'bash')).stdout);
  writeFileSync(zshFile, (await labwright('completion', 'zsh')).stdout);
});

/** What bash offers for the command line `words` (the last word is the one being completed), through the generated script. */
function complete(...words: string[]): string[] {
  const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; _labwright; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script, 'bash', bashFile, ...words], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('labwright completion bash', () => {
  it('registers itself for labwright', () => {
    expect(execFileSync('bash', ['-c', 'source "$1"; complete -p labwright', 'bash', bashFile], { encoding: 'utf8' })).toContain('-F _labwright labwright');
  });

  it('completes every subcommand, help, --help and --version as the first word', () => {
    expect(complete('labwright', '')).toEqual([...Object.keys(SUBCOMMANDS), 'help', '--help', '--version']);
    expect(complete('labwright', 'ex')).toEqual(['exec']);
    expect(complete('labwright', 'help', 'in')).toEqual(['init', 'inventory']);
  });

  it("completes a subcommand's flags, short and long", () => {
    expect(complete('labwright', 'exec', 'all', '--b')).toEqual(['--become', '--become-user']);
    expect(complete('labwright', 'run', 'site.ts', '--li')).toEqual(['--limit', '--list-hosts', '--list-tasks', '--list-tags']);
    expect(complete('labwright', 'inventory', '-i', 'inv.yaml', '--g')).toEqual(['--graph']);
    expect(complete('labwright', 'exec', '-')).toContain('-b');
    expect(complete('labwright', 'exec', '-')).toContain('--fact');
  });

  it("completes a command's first word (vault actions, completion shells)", () => {
    expect(complete('labwright', 'vault', 'en')).toEqual(['encrypt', 'encrypt_string']);
    expect(complete('labwright', 'completion', '')).toEqual(['bash', 'zsh']);
  });

  it("leaves a flag's value and the words after -- to the shell's own (file) completion", () => {
    expect(complete('labwright', 'exec', 'all', '-i', '')).toEqual([]);
    expect(complete('labwright', 'exec', 'all', '--', '--b')).toEqual([]);
  });

  it('every flag each subcommand offers is one its parser takes (an unknown one is refused, exit 5)', async () => {
    for (const [name, command] of Object.entries(SUBCOMMANDS)) {
      const { flags } = await command.completion();
      const offered = complete('labwright', name, '--');
      expect(offered).toEqual(Object.keys(flags).map((flag) => `--${flag}`));
      for (const flag of Object.keys(flags)) {
        const value = flag === 'extra-vars' ? 'a=1' : '1';
        const argv = [`--${flag}`, ...(flags[flag].type === 'string' ? [value] : []), '--help'];
        // run hands its flags to the playbook's parser; vault's come after the action
        if (name === 'run') expect(() => parseCliOptions(argv)).not.toThrow();
        else expect({ flag, code: (await labwright(name, ...(name === 'vault' ? ['view'] : []), ...argv)).code }).toEqual({ flag, code: 0 });
      }
      const unknown = name === 'run' ? ['--no-such-flag'] : [name, ...(name === 'vault' ? ['view'] : []), '--no-such-flag', '--help'];
      if (name === 'run') expect(() => parseCliOptions(unknown)).toThrow(/no-such-flag/);
      else expect((await labwright(...unknown)).code).toBe(5);
    }
  });

  it('an unknown shell is exit 5', async () => {
    const { code, stderr } = await labwright('completion', 'fish');
    expect(code).toBe(5);
    expect(stderr).toContain('no completion for "fish": the shells are bash and zsh');
  });
});

describe.skipIf(!hasZsh)('labwright completion zsh (needs zsh)', () => {
  it('is valid zsh that registers _labwright for labwright with compinit, with each subcommand and its flags', () => {
    execFileSync('zsh', ['-n', zshFile]);
    const registered = execFileSync('zsh', ['-f', '-c', 'autoload -U compinit && compinit -u -d "$2/zcompdump" && source "$1" && print -r -- $_comps[labwright]', 'zsh', zshFile, dir], { encoding: 'utf8' });
    expect(registered.trim()).toBe('_labwright');
    const script = execFileSync('cat', [zshFile], { encoding: 'utf8' });
    for (const name of Object.keys(SUBCOMMANDS)) expect(script).toContain(`    ${name}) _arguments -S `);
    expect(script).toContain("'*-i+:value:_files' '*--inventory=:value:_files'");
    expect(script).toContain("'-b' '--become' '--become-user=:value:_files'");
  });
});

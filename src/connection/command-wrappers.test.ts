import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { secret } from '../secret.js';
import { sh } from '../shell/quote.js';
import { becomeCommand, killAfterCommand } from './command-wrappers.js';

const run = promisify(execFile);

describe('becomeCommand', () => {
  const cmd = sh`echo ${"it's"} > /etc/motd`;

  it('leaves the command alone when the login user is the target user', () => {
    expect(becomeCommand(cmd, 'root')).toBe(cmd);
    expect(becomeCommand(cmd, 'postgres', 'postgres')).toBe(cmd);
  });

  it('runs it through sudo -n, passing the command to sh -c as one argument', async () => {
    const { text } = becomeCommand(cmd, 'lab');
    const prefix = 'sudo -n -- sh -c ';
    expect(text.startsWith(prefix)).toBe(true);
    const { stdout } = await run('sh', ['-c', `printf '%s|' ${text.slice(prefix.length)}`]);
    expect(stdout).toBe(`${cmd.text}|`);
  });

  it('adds -u for another target user, even when logged in as root', () => {
    expect(becomeCommand(sh`id`, 'root', 'postgres').text).toBe('sudo -n -u postgres -- sh -c id');
  });

  it('shows secrets masked and runs them revealed', () => {
    const withSecret = becomeCommand(sh`login ${secret('hunter2')}`, 'lab');
    expect(withSecret.text).toBe('sudo -n -- sh -c \'login hunter2\'');
    expect(withSecret.shown).toBe('sudo -n -- sh -c \'login ********\'');
  });
});

describe('killAfterCommand', () => {
  it('runs the command under GNU timeout with SIGKILL, in seconds', () => {
    expect(killAfterCommand(sh`sleep 5`, 1500).text).toBe("exec timeout -s KILL 1.5 sh -c 'sleep 5'");
  });
});

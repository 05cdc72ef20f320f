import { Command, quote, sh } from '../shell/quote.js';

/**
 * The command to run for `cmd` when privilege escalation is requested: as is
 * when the login user already is the target user, else through `sudo -n`, which
 * fails at once ("a password is required") instead of waiting for a password.
 */
export function becomeCommand(cmd: Command, loginUser: string, becomeUser = 'root'): Command {
  if (loginUser === becomeUser) return cmd;
  const sudo = becomeUser === 'root' ? sh`sudo -n --` : sh`sudo -n -u ${becomeUser} --`;
  return runWith(sudo, cmd);
}

/**
 * `cmd` under GNU `timeout`, which runs it in its own process group and
 * SIGKILLs that whole group after `timeoutMs`: on the host itself, so that a
 * timed-out command does not keep running (and keep its sshd session).
 * `exec`: the shell is replaced by `timeout`, which dies of the signal that
 * killed the command, so that the caller still sees that signal.
 */
export function killAfterCommand(cmd: Command, timeoutMs: number): Command {
  return runWith(sh`exec timeout -s KILL ${timeoutMs / 1000}`, cmd);
}

/** `PREFIX sh -c 'cmd'`, masking secrets in what is shown just as `cmd` does. */
export function runWith(prefix: Command, cmd: Command): Command {
  return new Command(`${prefix.text} sh -c ${quote(cmd.text)}`, `${prefix.shown} sh -c ${quote(cmd.shown)}`);
}

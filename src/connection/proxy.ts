/**
 * Jump hosts as OpenSSH spells them: a ProxyJump list, or the ProxyCommand
 * that does the same through a bastion (`ssh -W %h:%p bastion`, or the older
 * `ssh bastion nc %h %p`). Any other ProxyCommand runs a program labwright
 * does not run: it is refused.
 */
import path from 'node:path';
import { parseSshArgv, shellWords, type SshArgs } from './ssh-args.js';

/** `[user@]host[:port]` of a ProxyJump entry. */
export interface JumpTarget {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
  /** As written, for messages. */
  readonly text: string;
}

/** One jump host to reach, with the ssh options given for it on a command line (those of a ProxyCommand's ssh). */
export interface HopRequest {
  readonly target: JumpTarget;
  readonly args: SshArgs;
}

const NO_ARGS: SshArgs = { options: [], rest: [] };

/** The hops of a ProxyJump value (`none`: no jump). Throws Error saying what is wrong. */
export function parseProxyJump(value: string): HopRequest[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((entry) => ({ target: parseJumpTarget(entry.trim()), args: NO_ARGS }));
}

/** `[user@]host[:port]`, `ssh://[user@]host[:port]`, `[user@][v6addr]:port`. */
export function parseJumpTarget(entry: string): JumpTarget {
  const text = entry;
  const bare = entry.replace(/^ssh:\/\//i, '').replace(/\/$/, '');
  const at = bare.lastIndexOf('@');
  const user = at >= 0 ? bare.slice(0, at) : undefined;
  const hostPort = at >= 0 ? bare.slice(at + 1) : bare;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort) ?? /^([^:[\]\s]+)(?::(\d+))?$/.exec(hostPort);
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || user === '' || (port !== undefined && (port < 1 || port > 65535))) {
    throw new Error(`"${entry}" is not a jump host (expected [user@]host[:port])`);
  }
  return { user, host: m[1]!, port, text };
}

/** The one jump host a ProxyCommand reaches the host through (`none`: no jump), or an Error saying why it is not supported. */
export function proxyCommandHop(command: string): HopRequest | undefined {
  if (command.trim().toLowerCase() === 'none') return undefined;
  const unsupported = (why: string) =>
    new Error(
      `ProxyCommand "${command}" is not supported (${why}): labwright runs no local command to connect. ` +
        'It follows a jump host itself: write -o ProxyJump=[user@]bastion[:port] (or ssh -W %h:%p [user@]bastion as the ProxyCommand)',
    );
  let words: string[];
  try {
    words = shellWords(command);
  } catch (err) {
    throw unsupported((err as Error).message);
  }
  if (path.basename(words[0] ?? '') !== 'ssh') throw unsupported('it does not run ssh');
  const before = parseSshArgv(words.slice(1), { stopAtDestination: true });
  const [destination, ...afterDestination] = before.rest;
  if (destination === undefined) throw unsupported('no bastion host in it');
  const after = parseSshArgv(afterDestination, { stopAtDestination: true });
  const forward = before.forward ?? after.forward;
  const remote = after.rest;
  const netcat = remote.length >= 3 && /^(nc|ncat|netcat)$/.test(path.basename(remote[0]!)) && remote.slice(-2).join(' ') === '%h %p';
  if (forward !== undefined) {
    if (!/^(%h|\[%h\]):%p$/.test(forward)) throw unsupported(`-W ${forward} is not -W %h:%p`);
    if (remote.length > 0) throw unsupported(`it runs ${remote.join(' ')} on the bastion`);
  } else if (!netcat) {
    throw unsupported('it neither forwards with -W %h:%p nor runs nc %h %p on the bastion');
  }
  let target: JumpTarget;
  try {
    target = parseJumpTarget(destination);
  } catch (err) {
    throw unsupported((err as Error).message);
  }
  return {
    target,
    args: { configFile: after.configFile ?? before.configFile, options: [...before.options, ...after.options], rest: [] },
  };
}

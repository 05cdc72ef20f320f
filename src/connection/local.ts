import { userInfo } from 'node:os';
import { quote, type Command } from '../shell/quote.js';
import { becomeCommand } from './command-wrappers.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, withTimeout } from './timeout.js';
import type { Connection, ConnectionSpec, ExecOptions, ExecResult } from './types.js';

/** `ansible_connection: local`: commands run on the controller itself. */
export class LocalConnection implements Connection {
  readonly #user = userInfo().username;
  #roundTrips = 0;

  constructor(
    readonly host: string,
    private readonly spec: Pick<ConnectionSpec, 'become' | 'becomeUser' | 'commandTimeoutMs'>,
  ) {}

  get roundTrips(): number {
    return this.#roundTrips;
  }

  async open(): Promise<void> {}

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const become = opts.become ?? this.spec.become;
    const local = become ? becomeCommand(cmd, this.#user, this.spec.becomeUser) : cmd;
    this.#roundTrips++;
    // zx writes and ends stdin only for non-empty input: give other commands
    // /dev/null, so that they read EOF at once as over ssh.
    const input = opts.stdin?.length ? opts.stdin : undefined;
    const { $ } = await import('zx'); // loaded on the first local command: runs over ssh never need it
    const child = $({
      shell: '/bin/sh',
      prefix: '',
      postfix: '',
      quote,
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      nothrow: true,
      quiet: true,
      verbose: false,
    })`exec sh -c ${local.text}`; // exec: a signal that kills the command reaches us as such
    const stop = () => void child.kill('SIGKILL').catch(() => {}); // Already gone: nothing to stop.
    // A process that escaped the kill may hold the output open: the caller stops waiting for it, which is all we can do.
    const abandon = () => {};
    const output = await withTimeout(Promise.resolve(child), {
      host: this.host,
      command: cmd,
      timeoutMs: opts.timeoutMs ?? this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      stop,
      abandon,
    });
    return { stdout: output.stdout, stderr: output.stderr, code: output.exitCode };
  }

  async close(): Promise<void> {}
}

import { once } from 'node:events';
import { userInfo } from 'node:os';
import type { Duplex } from 'node:stream';
import pLimit from 'p-limit';
import type { Client } from 'ssh2';
import { UnreachableError } from '../errors.js';
import type { Command } from '../shell/quote.js';
import { killAfterCommand } from './command-wrappers.js';
import { becomerFor, type Becomer } from './sudo-password.js';
import { HostKeyChecker } from './host-key-check.js';
import { BastionPool, type Tunnel } from './jump.js';
import { loadCredentials, type SshCredentials } from './ssh-auth.js';
import { describeSshFailure, type SshClientError } from './ssh-failure.js';
import { ssh2 } from './ssh2-module.js';
import { startSession } from './ssh-session.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, formatDuration, TIMEOUT_GRACE_MS, withTimeout } from './timeout.js';
import type { Connection, ConnectionSpec, ExecOptions, ExecResult } from './types.js';

/** sshd allows MaxSessions (default 10) channels per connection; stay below it. */
const MAX_OPEN_CHANNELS = 8;
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;
/** How long close() waits for the server to acknowledge the disconnect. */
const CLOSE_GRACE_MS = 2_000;
/** How long a timed-out command gets to be killed on the host before its channel is closed from here (within TIMEOUT_GRACE_MS). */
const KILL_GRACE_MS = 2_000;
/** Ceiling of `sudo -n true`, which tells whether sudo needs the become password. */
const SUDO_PROBE_TIMEOUT_MS = 30_000;

/** The connections to jump hosts, shared by all hosts behind each. */
export const bastions = new BastionPool((hop, before) => new SshConnection(hop.name, { ...hop.spec, via: before }));

/**
 * One TCP connection per host, opened once and shared by every exec, each of
 * which runs on its own session channel.
 */
export class SshConnection implements Connection {
  readonly #client: Client = new (ssh2().Client)();
  readonly #user: string;
  readonly #channelSlots = pLimit(MAX_OPEN_CHANNELS);
  #opening?: Promise<void>;
  #roundTrips = 0;
  #closeRequested = false;
  /** Set once the connection is gone; every pending and later exec rejects with it. */
  #lost?: UnreachableError;
  readonly #lostSignal: Promise<never>;
  #signalLost!: (error: UnreachableError) => void;
  /** The channel through the jump hosts, when the host is reached through some. */
  #tunnel?: Tunnel;
  /** How commands become another user (sudo -n, or sudo -S with the become password). */
  readonly #becomer: Becomer;

  constructor(
    readonly host: string,
    private readonly spec: ConnectionSpec,
  ) {
    this.#user = spec.user ?? userInfo().username;
    this.#becomer = becomerFor(host, this.#user, spec, (cmd) => this.exec(cmd, { become: false, timeoutMs: SUDO_PROBE_TIMEOUT_MS }));
    this.#lostSignal = new Promise<never>((_, reject) => (this.#signalLost = reject));
    this.#lostSignal.catch(() => {}); // Observed through exec(); not an unhandled rejection by itself.
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  get lost(): boolean {
    return this.#lost !== undefined;
  }

  open(): Promise<void> {
    this.#opening ??= this.#connect().catch((err: UnreachableError) => {
      this.#lose(err);
      throw err;
    });
    return this.#opening;
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    await this.open();
    const timeoutMs = opts.timeoutMs ?? this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const limited = killAfterCommand(cmd, timeoutMs);
    const become = (opts.become ?? this.spec.become) ? await this.#becomer.wrap(limited, opts.stdin) : undefined;
    const result = await this.#channelSlots(() => this.#run(cmd, become?.command ?? limited, become ? become.stdin : opts.stdin, timeoutMs));
    become?.check(result);
    return result;
  }

  async close(): Promise<void> {
    if (this.#opening === undefined) return;
    await this.#opening.catch(() => {});
    if (!this.#lost) {
      this.#closeRequested = true;
      const closed = once(this.#client, 'close');
      this.#client.end();
      const unanswered = setTimeout(() => this.#client.destroy(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(unanswered);
    }
    await this.#tunnel?.release();
  }

  /** A direct-tcpip channel from this host to `address:port` (what `ssh -W` does for a jump host). */
  async forwardOut(address: string, port: number): Promise<Duplex> {
    await this.open();
    return new Promise((resolve, reject) => {
      this.#client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  async #connect(): Promise<void> {
    const { spec } = this;
    const [hostKeys, credentials] = await Promise.all([
      HostKeyChecker.load(spec),
      loadCredentials(spec, this.#user),
    ]).catch((err: Error) => {
      throw new UnreachableError(this.host, err.message);
    });
    const via = spec.via ?? [];
    if (via.length > 0) {
      this.#tunnel = await bastions.tunnel(via, spec.address, spec.port).catch((err: Error) => {
        throw new UnreachableError(this.host, err.message);
      });
    }
    const through = via.length > 0 ? ` (through ${via.map((hop) => hop.name).join(', ')})` : '';
    let hostKeyRefusal: string | undefined;
    let established = false;
    let failure: SshClientError | undefined;
    const reason = (err: SshClientError) => (hostKeyRefusal ?? this.#describe(err, credentials, established)) + through;

    await new Promise<void>((resolve, reject) => {
      this.#client
        .once('ready', () => {
          // Each exec is a few small packets each way: Nagle's algorithm would
          // hold them back for delayed ACKs (~40 ms per exec).
          this.#client.setNoDelay(true);
          established = true;
          resolve();
        })
        .on('error', (err: SshClientError) => {
          failure ??= err;
          if (established) return;
          reject(new UnreachableError(this.host, reason(err)));
          this.#client.destroy();
        })
        .once('close', () => {
          const why = this.#closeRequested
            ? 'the connection was closed'
            : failure
              ? reason(failure)
              : 'connection closed by the remote host';
          const error = new UnreachableError(this.host, why);
          reject(error); // still opening
          this.#lose(error);
        })
        .connect({
          ...(this.#tunnel ? { sock: this.#tunnel.stream } : { host: spec.address, port: spec.port }),
          username: this.#user,
          authHandler: credentials.methods,
          readyTimeout: spec.connectTimeoutMs,
          keepaliveInterval: KEEPALIVE_INTERVAL_MS,
          keepaliveCountMax: KEEPALIVE_COUNT_MAX,
          algorithms: {
            serverHostKey: { remove: hostKeys.preferredAlgorithms, prepend: hostKeys.preferredAlgorithms, append: [] },
          },
          hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
            hostKeys.verify(key).then(
              (verdict) => {
                if (!verdict.accepted) hostKeyRefusal = verdict.reason;
                verify(verdict.accepted);
              },
              (err: Error) => {
                hostKeyRefusal = `cannot record the host key: ${err.message}`;
                verify(false);
              },
            );
          },
        });
    });
  }

  #describe(err: SshClientError, credentials: SshCredentials, established: boolean): string {
    return describeSshFailure(err, {
      spec: this.spec,
      user: this.#user,
      offered: credentials.offered,
      established,
      keepaliveTimeoutMs: KEEPALIVE_INTERVAL_MS * KEEPALIVE_COUNT_MAX,
    });
  }

  #lose(error: UnreachableError): void {
    if (this.#lost) return;
    this.#lost = error;
    this.#signalLost(error);
  }

  /** Runs `remote` (`cmd` wrapped in timeout, and sudo when becoming) on a new session channel. */
  #run(cmd: Command, remote: Command, stdin: string | Buffer | undefined, timeoutMs: number): Promise<ExecResult> {
    if (this.#lost) return Promise.reject(this.#lost);
    this.#roundTrips++;
    const session = startSession(this.#client, remote.text, stdin);
    const result = session.result.catch((err: Error) => {
      throw this.#lost ?? new UnreachableError(this.host, `cannot open a session channel: ${err.message}`);
    });
    // `timeout` kills the command on the host, which closes the channel and
    // frees its sshd session. (ssh2 cannot send a signal request once stdin is
    // at EOF, and sshd keeps the session of a closed channel until its command
    // exits.) Closing the channel from here is only a backstop for processes
    // that escaped the kill while holding the output open.
    const stop = () => setTimeout(() => session.close(), KILL_GRACE_MS).unref();
    // Still no end of the channel: the server does not answer (frozen, or the
    // network is gone) or keeps the session of an escaped process. Either way
    // nothing more comes over this connection in time: drop it.
    const abandon = () => {
      const why = `no answer ${formatDuration(TIMEOUT_GRACE_MS)} after \`${cmd.shown}\` timed out: the connection was dropped`;
      this.#lose(new UnreachableError(this.host, why));
      this.#client.destroy();
    };
    return withTimeout(Promise.race([result, this.#lostSignal]), { host: this.host, command: cmd, timeoutMs, stop, abandon });
  }
}

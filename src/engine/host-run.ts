import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import { CommandFailed, UnreachableError } from '../errors.js';
import { FactCache } from '../facts/cache.js';
import type { Fact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import type { TaskResult } from './definitions.js';
import type { OpContext } from '../ops/op.js';
import type { Command } from '../shell/quote.js';
import { HostLock, runToken } from './host-lock.js';

export interface HostRunOptions {
  /** Hold the host's run lock from the first connection to close() (runs that change hosts). */
  lock?: boolean;
}

/**
 * Everything the engine keeps about one host during a run: its one
 * connection, its fact cache, and whether it is still in the game.
 */
export class HostRun implements OpContext {
  facts: FactCache;
  conn: Connection;
  state: 'active' | 'failed' | 'unreachable' = 'active';
  /** Results of this host's tasks that set `register`, by name: kept for the whole run (all plays). */
  readonly registered = new Map<string, TaskResult>();
  #opened?: Promise<void>;
  /** Round trips of connections already replaced by reconnect(). */
  #earlierRoundTrips = 0;
  readonly #lock?: HostLock;

  constructor(
    readonly host: Host,
    private readonly connect: (host: Host) => Connection,
    /** Every host's run of this run, by name: where `delegate` finds or adds the other host's. */
    private readonly peers: Map<string, HostRun> = new Map(),
    private readonly options: HostRunOptions = {},
  ) {
    if (options.lock) this.#lock = new HostLock(host, runToken(peers));
    this.conn = connect(host);
    this.facts = new FactCache(this.conn, host.connection.become);
  }

  get roundTrips(): number {
    return this.#earlierRoundTrips + this.conn.roundTrips;
  }

  get name(): string {
    return this.host.name;
  }

  /** Whether this run has connected to the host (a host every task skipped is never contacted). */
  get contacted(): boolean {
    return this.#opened !== undefined;
  }

  /** Opens the connection once, and takes the host's run lock; later calls share the first attempt. */
  open(): Promise<void> {
    this.#opened ??= this.conn.open().then(() => this.#lock?.acquire(this.conn, () => this.conn));
    return this.#opened;
  }

  /** Releases the run lock (if this run holds it) and closes the connection. */
  async close(): Promise<void> {
    if (this.#lock && this.#opened) {
      const opened = await this.#opened.then(() => true, () => false);
      if (opened) await this.#lock.release(this.conn);
    }
    await this.conn.close();
  }

  fact<T>(fact: Fact<T>): Promise<T> {
    return this.facts.get(fact);
  }

  async reconnect(): Promise<void> {
    const old = this.conn;
    this.#earlierRoundTrips += old.roundTrips;
    // a connection that never opened (abandoned by a bounded reconnect) or died is not waited for long
    await Promise.race([old.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.conn = this.connect(this.host);
    this.facts = this.facts.renewedFor(this.conn, this.host.connection.become);
    this.#opened = this.conn.open();
    await this.#opened;
    // the lock now lives with this connection's sshd
    await this.#lock?.renew(this.conn).catch(() => undefined);
    if (this.#lock?.lost) throw this.#lock.lost;
  }

  /** The run of another host (the same connection the run uses for it, if any), opened. */
  async delegate(host: Host): Promise<HostRun> {
    if (host.name === this.name) return this;
    let peer = this.peers.get(host.name);
    if (!peer) this.peers.set(host.name, (peer = new HostRun(host, this.connect, this.peers, this.options)));
    try {
      await peer.open();
    } catch (err) {
      // the task fails on this host, which itself is reachable
      if (err instanceof UnreachableError) throw new Error(`${err.message} (needed by ${this.name})`);
      throw err;
    }
    return peer;
  }

  async run(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.#lock?.lost) throw this.#lock.lost;
    const result = await this.conn.exec(cmd, { ...opts, become: opts.become ?? this.host.connection.become });
    this.facts.invalidate();
    if (result.code !== 0) throw new CommandFailed(this.name, cmd.shown, result.code, result.stderr, result.stdout);
    return result;
  }
}

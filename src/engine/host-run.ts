import type { Connection, ExecOptions } from '../connection/types.js';
import { CommandFailed } from '../errors.js';
import { FactCache } from '../facts/cache.js';
import type { Fact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import type { OpContext } from '../ops/op.js';
import type { Command } from '../shell/quote.js';

/**
 * Everything the engine keeps about one host during a run: its one
 * connection, its fact cache, and whether it is still in the game.
 */
export class HostRun implements OpContext {
  readonly facts: FactCache;
  state: 'active' | 'failed' | 'unreachable' = 'active';
  #opened?: Promise<void>;

  constructor(
    readonly host: Host,
    readonly conn: Connection,
  ) {
    this.facts = new FactCache(conn, host.connection.become);
  }

  get name(): string {
    return this.host.name;
  }

  /** Opens the connection once; later calls share the first attempt. */
  open(): Promise<void> {
    this.#opened ??= this.conn.open();
    return this.#opened;
  }

  fact<T>(fact: Fact<T>): Promise<T> {
    return this.facts.get(fact);
  }

  async run(cmd: Command, opts: ExecOptions = {}): Promise<import('../connection/types.js').ExecResult> {
    const result = await this.conn.exec(cmd, { ...opts, become: opts.become ?? this.host.connection.become });
    this.facts.invalidate();
    if (result.code !== 0) throw new CommandFailed(this.name, cmd.shown, result.code, result.stderr, result.stdout);
    return result;
  }
}

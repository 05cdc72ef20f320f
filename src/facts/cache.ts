import type { Connection } from '../connection/types.js';
import { gatherFacts } from './batch.js';
import type { Fact } from './fact.js';

/**
 * Per-host fact cache. A miss reads the missing fact together with every
 * fact the engine expects to need next (`upcoming`), in one round trip.
 * Any change on the host clears the cache, so facts are never stale.
 */
export class FactCache {
  readonly #values = new Map<string, unknown>();
  #upcoming: () => readonly Fact<unknown>[] = () => [];
  /** The batch being read, if any. */
  #reading?: Promise<void>;
  /** The batch while it gathers misses, before it is sent. */
  #gathering?: { facts: Map<string, Fact<unknown>>; read: Promise<void> };

  constructor(
    private readonly conn: Connection,
    private readonly become: boolean,
  ) {}

  /** Tells the cache which facts the next operations will read, for batching. */
  expect(upcoming: () => readonly Fact<unknown>[]): void {
    this.#upcoming = upcoming;
  }

  /** A cache for a new connection that batches the same upcoming facts as this one. */
  renewedFor(conn: Connection, become: boolean): FactCache {
    const next = new FactCache(conn, become);
    next.expect(this.#upcoming);
    return next;
  }

  async get<T>(fact: Fact<T>): Promise<T> {
    // a read already sent may bring it (ops planned together miss at the same moment)
    while (this.#reading && !this.#gathering && !this.#values.has(fact.id)) await this.#reading.catch(() => undefined);
    if (!this.#values.has(fact.id)) await this.#read(fact);
    return this.#values.get(fact.id) as T;
  }

  /**
   * Adds `fact` to the read being gathered, or starts one: it is sent on the
   * next turn of the event loop, with every miss of this turn (ops planned
   * together whose facts were not known in advance: built from other facts)
   * and the upcoming facts, in one round trip.
   */
  #read(fact: Fact<unknown>): Promise<void> {
    if (!this.#gathering) {
      const facts = new Map<string, Fact<unknown>>();
      const read = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.#gathering = undefined;
        for (const f of this.#upcoming()) if (!this.#values.has(f.id)) facts.set(f.id, f);
        const got = await gatherFacts(this.conn, [...facts.values()], this.become);
        for (const [id, v] of got) this.#values.set(id, v);
      });
      const done = () => {
        if (this.#reading === read) this.#reading = undefined;
      };
      read.then(done, done);
      this.#gathering = { facts, read };
      this.#reading = read;
    }
    this.#gathering.facts.set(fact.id, fact);
    return this.#gathering.read;
  }

  invalidate(): void {
    this.#values.clear();
  }
}

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
    // ops planned together (a sequence) miss at the same moment: they share one read
    while (this.#reading && !this.#values.has(fact.id)) await this.#reading.catch(() => undefined);
    if (!this.#values.has(fact.id)) {
      const wanted = new Map<string, Fact<unknown>>([[fact.id, fact]]);
      for (const f of this.#upcoming()) if (!this.#values.has(f.id)) wanted.set(f.id, f);
      const reading = gatherFacts(this.conn, [...wanted.values()], this.become).then((got) => {
        for (const [id, v] of got) this.#values.set(id, v);
      });
      this.#reading = reading;
      try {
        await reading;
      } finally {
        if (this.#reading === reading) this.#reading = undefined;
      }
    }
    return this.#values.get(fact.id) as T;
  }

  invalidate(): void {
    this.#values.clear();
  }
}

import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { redactDeep } from '../secret.js';

/** Collects events; prints one JSON document `{ events, recap }` at the end (schema in README). */
export class JsonReporter implements Reporter {
  readonly #events: RunEvent[] = [];

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  event(e: RunEvent): void {
    this.#events.push(e);
  }

  async finish(recap: Recap): Promise<void> {
    // masked before serialising: JSON escapes quotes, backslashes and newlines, and the escaped secret would no longer be found
    this.write(JSON.stringify(redactDeep({ events: this.#events, recap }), null, 2) + '\n');
  }
}

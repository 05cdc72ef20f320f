import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { redact } from '../secret.js';

/** Collects events; prints one JSON document `{ events, recap }` at the end (schema in README). */
export class JsonReporter implements Reporter {
  readonly #events: RunEvent[] = [];

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  event(e: RunEvent): void {
    this.#events.push(e);
  }

  async finish(recap: Recap): Promise<void> {
    this.write(redact(JSON.stringify({ events: this.#events, recap }, null, 2)) + '\n');
  }
}

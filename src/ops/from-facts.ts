import type { Fact } from '../facts/fact.js';
import { combinePlans, type Op, type OpContext } from './op.js';

/** A value read from a host's facts when planning (a path under `brew --prefix`, an OS version). */
export interface FromHost<T> {
  /** The facts `read` uses, so the engine can batch them. */
  readonly facts: readonly Fact<unknown>[];
  read(ctx: Pick<OpContext, 'fact'>): Promise<T>;
}

/**
 * Operations whose arguments come from the host: `source` is read when
 * planning, then `build` makes the operations (e.g. a file under the prefix
 * Homebrew reports), which are planned together, in order, as one.
 */
export function fromFacts<T>(label: string, source: FromHost<T>, build: (value: T) => Op | readonly Op[]): Op {
  return {
    label,
    facts: source.facts,
    async plan(ctx) {
      const built = build(await source.read(ctx));
      const ops = Array.isArray(built) ? (built as readonly Op[]) : [built as Op];
      const plans = [];
      for (const op of ops) plans.push(await op.plan(ctx));
      return combinePlans(plans);
    },
  };
}

import type { Host } from '../../src/inventory/types.js';
import { change, type Change, type OpContext, type Plan } from '../../src/ops/op.js';
import type { Command } from '../../src/shell/quote.js';

/** The context of another inventory host (the first control plane), over the run's connection to it. */
export function delegateTo(ctx: OpContext, host: Host): Promise<OpContext> {
  if (!ctx.delegate) throw new Error(`this step needs ${host.name}, but this context cannot reach other hosts`);
  return ctx.delegate(host);
}

type Step = (node: OpContext, first: OpContext) => Promise<unknown>;

/**
 * An ordered plan of commands, each on the node itself (`here`) or on the
 * first control plane (`onFirst`, over the run's connection to it), with the
 * change each one makes; `plan()` gives the op's plan that runs them in order.
 */
export class TwoHostSteps {
  readonly #changes: Change[] = [];
  readonly #steps: Step[] = [];

  constructor(private readonly first: Host) {}

  here(summary: string, cmd: Command): void {
    this.add(summary, (node) => node.run(cmd));
  }

  onFirst(summary: string, cmd: Command): void {
    this.add(summary, (_node, first) => first.run(cmd));
  }

  /** A step of any kind (for one that plans and applies an op itself). */
  add(summary: string, step: Step): void {
    this.#changes.push({ summary });
    this.#steps.push(step);
  }

  plan(): Plan {
    return change(this.#changes, async (node) => {
      const first = await delegateTo(node, this.first);
      for (const step of this.#steps) await step(node, first);
    });
  }
}

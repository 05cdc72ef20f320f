import type { ExecOptions, ExecResult } from '../../src/connection/types.js';
import type { Fact } from '../../src/facts/fact.js';
import type { Host } from '../../src/inventory/types.js';
import type { Op, OpContext, Plan } from '../../src/ops/op.js';
import type { Command } from '../../src/shell/quote.js';

export const fixtureHost: Host = {
  name: 'h1',
  vars: {},
  groups: ['all'],
  connection: { kind: 'ssh', address: 'h1', port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 },
};

/**
 * An OpContext whose facts come from fixtures (keyed by the fact itself) and
 * whose `run` records commands instead of running them: planning tests never connect.
 */
export class FixtureContext implements OpContext {
  readonly host = fixtureHost;
  readonly commands: { cmd: Command; opts?: ExecOptions }[] = [];
  readonly #facts = new Map<string, unknown>();

  constructor(facts: readonly (readonly [Fact<unknown>, unknown])[] = []) {
    for (const [f, v] of facts) this.#facts.set(f.id, v);
  }

  async fact<T>(fact: Fact<T>): Promise<T> {
    if (!this.#facts.has(fact.id)) throw new Error(`no fixture for fact ${fact.id}`);
    return this.#facts.get(fact.id) as T;
  }

  async run(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
    this.commands.push({ cmd, opts });
    return { stdout: '', stderr: '', code: 0 };
  }

  reconnects = 0;
  async reconnect(): Promise<void> {
    this.reconnects++;
  }

  /** Plans the op; applies it too when the plan has changes. */
  async planAndApply(op: Op): Promise<Plan> {
    const plan = await op.plan(this);
    if (plan.kind !== 'ok') await plan.apply(this);
    return plan;
  }

  get shown(): string[] {
    return this.commands.map((c) => c.cmd.shown);
  }
}

import { z } from 'zod';
import { defineRole, play, type PlayDef } from '../engine/definitions.js';
import type { Fact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import { command } from '../ops/command.js';
import { ok, type Op } from '../ops/op.js';
import { capturingContext } from '../engine/task-output.js';
import type { Command } from '../shell/quote.js';

/**
 * A play of one task on the hosts of PATTERN, for `labwright exec`: the run
 * goes through the engine like any playbook (connections, forks, check mode,
 * recap). The task's op is built per host by `build`.
 */
export function adHocPlay(pattern: string, taskName: string, build: (host: Host) => Op): PlayDef {
  const role = defineRole({ name: 'ad-hoc', vars: z.unknown(), tasks: ({ task }) => [task(taskName, ({ host }) => build(host))] });
  return play({ name: `ad-hoc ${pattern}`, hosts: pattern, roles: [role] });
}

/**
 * The command op (src/ops/command.ts: check mode says "would run (not
 * predictable)"), its stdout kept by `keep` when it runs, also when it fails.
 */
export function capturedCommand(run: Command, become: boolean | undefined, keep: (stdout: string) => void): Op {
  const op = command({ run, become });
  return {
    ...op,
    async plan(ctx) {
      const plan = await op.plan(ctx);
      return plan.kind === 'ok' ? plan : { ...plan, apply: (c) => plan.apply(capturingContext(c, (output) => keep(output.stdout))) };
    },
  };
}

/** An op that only reads `fact` (read-only, so also in check mode) and hands its value to `keep`. */
export function readFact(fact: Fact<unknown>, keep: (value: unknown) => void): Op {
  return {
    label: `read ${fact.id}`,
    facts: [fact],
    async plan(ctx) {
      keep(await ctx.fact(fact));
      return ok(`read ${fact.id}`);
    },
  };
}

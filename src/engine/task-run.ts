import type { Op, OpContext } from '../ops/op.js';
import type { TaskDef, TaskResult } from './definitions.js';
import { executeOps, failureOutcome, type Outcome } from './execute.js';
import { capturingContext, taskResult, type CommandOutput } from './task-output.js';

/**
 * Runs one task's operations on `target` with Ansible's task keywords:
 * `retries`/`delayMs` (a failure is tried again, re-planned), `until` (run
 * again until it holds), `failedWhen` and `changedWhen` (decided from the
 * result: the last command's exit code and output). `beforeChange` runs once
 * at most, before the first change. In check mode a command does not run, so
 * its predicates are not evaluated: the planned outcome stands. Never throws.
 */
export async function runTask(
  target: OpContext,
  build: () => readonly Op[],
  check: boolean,
  def: Pick<TaskDef<unknown>, 'retries' | 'delayMs' | 'until' | 'failedWhen' | 'changedWhen'>,
  beforeChange?: () => Promise<void>,
): Promise<{ outcome: Outcome; result: TaskResult }> {
  let once = beforeChange;
  const beforeFirstChange = async () => {
    const pending = once;
    once = undefined;
    await pending?.();
  };
  const retries = def.retries ?? (def.until ? 3 : 0);
  for (let attempt = 0; ; attempt++) {
    let output: CommandOutput | undefined;
    const ctx = capturingContext(target, (o) => (output = o), def.failedWhen !== undefined);
    let outcome: Outcome;
    try {
      outcome = await executeOps(ctx, build(), check, beforeFirstChange);
    } catch (err) {
      outcome = failureOutcome(err);
    }
    const ran = !(check && outcome.unpredictable) && outcome.status !== 'unreachable';
    if (ran) outcome = judged(outcome, output, def);
    const result = taskResult(outcome, output);
    if (outcome.status === 'unreachable' || check) return { outcome, result };
    const done = def.until ? outcome.status !== 'failed' && def.until(result) : outcome.status !== 'failed';
    if (done) return { outcome, result };
    if (attempt >= retries) {
      if (!def.until || outcome.status === 'failed') return { outcome, result };
      const failed: Outcome = { ...outcome, status: 'failed', error: { message: `until is still false after ${attempt + 1} attempts` } };
      return { outcome: failed, result: taskResult(failed, output) };
    }
    await new Promise((r) => setTimeout(r, def.delayMs ?? 1000));
  }
}

/** The outcome once `failedWhen` and `changedWhen` have judged the result. */
function judged(outcome: Outcome, output: CommandOutput | undefined, def: Pick<TaskDef<unknown>, 'failedWhen' | 'changedWhen'>): Outcome {
  let judgedOutcome = outcome;
  if (def.failedWhen && outcome.status !== 'failed') {
    if (def.failedWhen(taskResult(outcome, output))) {
      judgedOutcome = {
        ...outcome,
        status: 'failed',
        error: { message: 'failed_when is true', ...(output ? { exitCode: output.exitCode, stderr: output.stderr } : {}) },
      };
    }
  }
  if (def.changedWhen && judgedOutcome.status !== 'failed') {
    const changed = def.changedWhen(taskResult(judgedOutcome, output));
    judgedOutcome = changed
      ? { ...judgedOutcome, status: 'changed', changes: judgedOutcome.changes?.length ? judgedOutcome.changes : [{ summary: 'changed_when is true' }] }
      : { ...judgedOutcome, status: 'ok', changes: undefined, reason: [judgedOutcome.reason, 'changed_when is false'].filter(Boolean).join('; ') };
  }
  return judgedOutcome;
}

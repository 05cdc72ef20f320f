import { CommandFailed, UnreachableError } from '../errors.js';
import type { Change, Op, OpContext } from '../ops/op.js';
import type { HostResult, HostStatus, TaskFailure } from './events.js';

export type Outcome = Pick<HostResult, 'status' | 'reason' | 'changes' | 'unpredictable' | 'error'>;

/**
 * Runs a task's operations on one host. Each op is planned just before it is
 * applied (so its facts reflect every earlier change); in check mode the
 * plans are only reported. `beforeChange` runs once, before the first change
 * is applied (to record the handlers the change notifies).
 */
export async function executeOps(run: OpContext, ops: readonly Op[], check: boolean, beforeChange?: () => Promise<void>): Promise<Outcome> {
  const changes: Change[] = [];
  const reasons: string[] = [];
  let unpredictable = false;
  for (const op of ops) {
    const plan = await op.plan(run);
    if (plan.kind === 'ok') {
      reasons.push(plan.reason);
      continue;
    }
    if (plan.kind === 'unpredictable') unpredictable = true;
    if (!check) {
      await beforeChange?.();
      beforeChange = undefined;
      await plan.apply(run);
    }
    changes.push(...plan.changes);
  }
  const status: HostStatus = changes.length > 0 ? 'changed' : 'ok';
  return { status, changes, reason: reasons.join('; ') || undefined, unpredictable: unpredictable || undefined };
}

/** Turns a thrown error into the host's outcome (failed or unreachable). */
export function failureOutcome(err: unknown): Outcome {
  if (err instanceof UnreachableError) return { status: 'unreachable', error: { message: err.message } };
  if (err instanceof CommandFailed) {
    const error: TaskFailure = { message: err.message, command: err.command, exitCode: err.exitCode, stderr: err.stderr };
    return { status: 'failed', error };
  }
  return { status: 'failed', error: { message: err instanceof Error ? err.message : String(err) } };
}

/** executeOps with retries (`beforeChange` still runs once at most); never throws. */
export async function executeWithRetries(
  run: OpContext,
  build: () => readonly Op[],
  check: boolean,
  retries = 0,
  delayMs = 1000,
  beforeChange?: () => Promise<void>,
): Promise<Outcome> {
  let once = beforeChange;
  const beforeFirstChange = async () => {
    const pending = once;
    once = undefined;
    await pending?.();
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await executeOps(run, build(), check, beforeFirstChange);
    } catch (err) {
      const outcome = failureOutcome(err);
      if (outcome.status === 'unreachable' || attempt >= retries) return outcome;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

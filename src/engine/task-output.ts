import { CommandFailed } from '../errors.js';
import type { OpContext } from '../ops/op.js';
import type { TaskResult } from './definitions.js';
import type { Outcome } from './execute.js';

/** What a command printed and how it ended. */
export interface CommandOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `ctx` with each command's output handed to `keep` (also of a failing
 * command). With `tolerate`, a command that exits non-zero returns its result
 * instead of throwing: the task's `failedWhen` decides whether it failed.
 */
export function capturingContext(ctx: OpContext, keep: (output: CommandOutput) => void, tolerate = false): OpContext {
  return {
    host: ctx.host,
    fact: (fact) => ctx.fact(fact),
    reconnect: () => ctx.reconnect(),
    ...(ctx.delegate ? { delegate: ctx.delegate.bind(ctx) } : {}),
    async run(cmd, opts) {
      try {
        const result = await ctx.run(cmd, opts);
        keep({ exitCode: result.code, stdout: result.stdout, stderr: result.stderr });
        return result;
      } catch (error) {
        if (!(error instanceof CommandFailed)) throw error;
        keep({ exitCode: error.exitCode, stdout: error.stdout, stderr: error.stderr });
        if (tolerate) return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr };
        throw error;
      }
    },
  };
}

/** A task's result as later tasks and its own predicates see it: its outcome and its last command's output. */
export function taskResult(outcome: Pick<Outcome, 'status'>, output?: CommandOutput): TaskResult {
  const status = outcome.status === 'unreachable' ? 'failed' : outcome.status;
  return {
    status,
    changed: status === 'changed',
    failed: status === 'failed',
    ...(output ? { exitCode: output.exitCode, stdout: output.stdout, stderr: output.stderr } : {}),
    json<T>(): T | undefined {
      if (!output) return undefined;
      try {
        return JSON.parse(output.stdout) as T;
      } catch {
        return undefined;
      }
    },
  };
}

import type { Command } from '../shell/quote.js';

/**
 * The ceiling of a command that sets no timeout of its own, when its host sets
 * none either (`labwright_command_timeout`): long enough for the slowest
 * legitimate single commands (a `kubeadm init` pulling its images, a large
 * `apt-get install`), short enough that a hung one fails its host the same hour.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15 * 60_000;

/**
 * How long after its timeout a command may still take to be reported as
 * timed out: the kill on the host and the closing of its channel get this
 * long, then it is given up on whatever the host (or a dead connection) does.
 */
export const TIMEOUT_GRACE_MS = 5_000;

/** A command ran longer than its ExecOptions.timeoutMs and was stopped. */
export class CommandTimeoutError extends Error {
  constructor(
    readonly host: string,
    readonly command: Command,
    readonly timeoutMs: number,
  ) {
    super(`${host}: command timed out after ${formatDuration(timeoutMs)}: ${command.shown}`);
    this.name = 'CommandTimeoutError';
  }
}

/** `10000` → `10s`, `500` → `0.5s`. */
export function formatDuration(ms: number): string {
  return `${ms / 1000}s`;
}

export interface TimeoutSpec {
  host: string;
  command: Command;
  timeoutMs: number;
  /** Called at `timeoutMs`: stop the command. */
  stop: () => void;
  /** Called at `timeoutMs + TIMEOUT_GRACE_MS` if the command has still not ended: let go of whatever it holds. */
  abandon: () => void;
}

/**
 * Runs `work`; if it is still running after `timeoutMs`, calls `stop` and
 * rejects with CommandTimeoutError once the work has ended, or at the latest
 * TIMEOUT_GRACE_MS later (after calling `abandon`): a command that cannot be
 * stopped (a frozen server, a process that escaped the kill) never holds its
 * caller longer than that.
 */
export function withTimeout<T>(work: Promise<T>, timeout: TimeoutSpec): Promise<T> {
  const { host, command, timeoutMs, stop, abandon } = timeout;
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timedOutError = () => new CommandTimeoutError(host, command, timeoutMs);
    const soft = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const hard = setTimeout(() => {
      abandon();
      reject(timedOutError());
    }, timeoutMs + TIMEOUT_GRACE_MS);
    const settle = () => {
      clearTimeout(soft);
      clearTimeout(hard);
    };
    work.then(
      (value) => {
        settle();
        if (timedOut) reject(timedOutError());
        else resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(timedOut ? timedOutError() : err);
      },
    );
  });
}

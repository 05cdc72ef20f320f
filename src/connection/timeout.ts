import type { Command } from '../shell/quote.js';

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

/**
 * Runs `work`; if it is still running after `timeoutMs`, calls `stop`, waits
 * for the work to end (so that whatever it held is released) and rejects with
 * CommandTimeoutError.
 */
export async function withTimeout<T>(
  work: Promise<T>,
  timeout: { host: string; command: Command; timeoutMs?: number; stop: () => void },
): Promise<T> {
  const { host, command, timeoutMs, stop } = timeout;
  if (timeoutMs === undefined) return work;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  try {
    const result = await work;
    if (timedOut) throw new CommandTimeoutError(host, command, timeoutMs);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

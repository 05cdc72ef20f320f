import type { Change } from '../ops/op.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface TaskFailure {
  message: string;
  /** The command as shown to humans (secrets masked). */
  command?: string;
  exitCode?: number | null;
  stderr?: string;
}

export interface HostResult {
  type: 'host:result';
  host: string;
  /** "role : task" as Ansible shows it. */
  task: string;
  handler: boolean;
  status: HostStatus;
  /** Check mode: the changes are planned, not made. */
  check: boolean;
  /** Why nothing changed or why it was skipped. */
  reason?: string;
  changes?: Change[];
  /** The effect could not be predicted (check mode: would run, not checked). */
  unpredictable?: boolean;
  error?: TaskFailure;
  /** What an ad-hoc command (`labwright exec`) printed on the host (secrets masked in output). */
  stdout?: string;
  /** A failure the task's `ignoreErrors` let pass: the host goes on (counted as ignored, not failed). */
  ignored?: boolean;
  durationMs: number;
}

export type RunEvent =
  | { type: 'play:start'; play: string; hosts: string[]; check: boolean }
  | { type: 'task:start'; task: string; handler: boolean }
  | HostResult
  | { type: 'play:abort'; play: string; reason: string }
  | { type: 'play:end'; play: string };

export interface Counters {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Failures in a block that its rescue handled. */
  rescued: number;
  /** Failures let pass by ignoreErrors. */
  ignored: number;
}

export interface Recap {
  hosts: Record<string, Counters>;
}

export interface Reporter {
  event(e: RunEvent): void;
  /** Called once at the end with the recap; resolves when output is flushed. */
  finish(recap: Recap): Promise<void>;
}

export function emptyCounters(): Counters {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
}

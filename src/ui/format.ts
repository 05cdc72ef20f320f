import type { HostResult } from '../engine/events.js';
import { redact } from '../secret.js';
import { unifiedDiff } from './diff.js';

const verbs: Record<HostResult['status'], string> = {
  ok: 'ok',
  changed: 'changed',
  failed: 'failed',
  skipped: 'skipping',
  unreachable: 'unreachable',
};

/** The word a result is shown with: ok, changed, would change, would run (not predictable), … */
export function statusWord(r: HostResult): string {
  return r.unpredictable && r.check ? 'would run (not predictable)' : r.check && r.status === 'changed' ? 'would change' : verbs[r.status];
}

/** Why nothing changed or why it was skipped (for a change, only with -v), masked, after a space; '' for none. */
export function reasonText(r: HostResult, opts: { verbose: number }): string {
  return r.reason && (r.status !== 'changed' || opts.verbose > 0) ? ` ${redact(r.reason)}` : '';
}

/**
 * One host's result as Ansible-like lines: status, planned changes, diffs,
 * failure details. Every value is masked before it is split into lines or
 * indented (a multi-line secret split by a prefix would not be found whole).
 */
export function formatHostResult(r: HostResult, opts: { diff: boolean; verbose: number }): string {
  const lines = [`${statusWord(r)}: [${redact(r.host)}]${reasonText(r, opts)}`];
  for (const c of r.changes ?? []) lines.push(`    - ${redact(c.summary)}`);
  if (opts.diff) for (const c of r.changes ?? []) if (c.diff) lines.push(unifiedDiff(c.diff).trimEnd());
  if (r.error) {
    lines.push(`    task: ${redact(r.task)}`);
    const [first, ...more] = redact(r.error.message).split('\n');
    lines.push(`    ${first}`);
    // a failed command's details follow below; any other error's further lines are its details
    if (!r.error.command) lines.push(...more.filter((l) => l.trim()).map((l) => `    ${l}`));
    if (r.error.command) lines.push(`    command: ${redact(r.error.command)}`);
    if (r.error.exitCode !== undefined) lines.push(`    exit code: ${r.error.exitCode ?? 'killed by a signal'}`);
    const stderr = redact(r.error.stderr ?? '').trim();
    if (stderr) lines.push(...stderr.split('\n').map((l) => `    stderr: ${l}`));
  }
  if (r.ignored) lines.push('    ...ignoring');
  lines.push(...stdoutLines(r));
  if (opts.verbose > 1) lines.push(`    (${r.durationMs} ms)`);
  return redact(lines.join('\n'));
}

/** An ad-hoc command's output, masked, a line each. */
export function stdoutLines(r: HostResult): string[] {
  const stdout = redact(r.stdout ?? '').trimEnd();
  return stdout ? stdout.split('\n').map((l) => `    stdout: ${l}`) : [];
}

export function banner(title: string): string {
  return `\n${title} ${'*'.repeat(Math.max(3, 72 - title.length))}`;
}

import type { HostResult } from '../engine/events.js';
import { redact } from '../secret.js';
import { unifiedDiff } from './diff.js';
import { formatHostResult, reasonText, statusWord, stdoutLines } from './format.js';

type Style = { diff: boolean; verbose: number };

/**
 * Results of one task grouped for reading: hosts that report the same change
 * (status, reason, change summaries, command output) form one group; every
 * other result (ok, skipped, failed, unreachable) stays one per host. Results
 * are put in `order` (the play's hosts) first, so the output does not depend
 * on which host answered first.
 */
export function groupResults(results: readonly HostResult[], order: readonly string[] = []): HostResult[][] {
  const rank = (r: HostResult) => (order.includes(r.host) ? order.indexOf(r.host) : order.length);
  const groups = new Map<string, HostResult[]>();
  [...results].sort((a, b) => rank(a) - rank(b)).forEach((r, i) => {
    const key = r.status !== 'changed' ? `#${i}` : JSON.stringify([r.task, r.handler, statusWord(r), r.reason ?? '', (r.changes ?? []).map((c) => c.summary), r.stdout ?? '']);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  });
  return [...groups.values()];
}

/**
 * A group as lines: one host as formatHostResult shows it; several as
 * `changed: [w1, w2, w3] - update /etc/motd` (more changes below, one a
 * line), each distinct diff once (with its hosts when they differ).
 */
export function formatGroup(group: readonly HostResult[], opts: Style): string {
  const [first] = group;
  if (group.length === 1) return formatHostResult(first, opts);
  const hosts = `[${group.map((r) => r.host).join(', ')}]`;
  const summaries = (first.changes ?? []).map((c) => redact(c.summary));
  const inline = summaries.length === 1 ? ` - ${summaries[0]}` : '';
  const lines = [`${statusWord(first)}: ${hosts}${reasonText(first, opts)}${inline}`];
  if (!inline) lines.push(...summaries.map((s) => `    - ${s}`));
  if (opts.diff) lines.push(...diffLines(group));
  lines.push(...stdoutLines(first));
  if (opts.verbose > 1) {
    const ms = group.map((r) => r.durationMs);
    lines.push(`    (${Math.min(...ms)}–${Math.max(...ms)} ms)`);
  }
  return redact(lines.join('\n'));
}

/** The group's diffs, each distinct one once: alone when all hosts share it, else under the hosts that have it. */
function diffLines(group: readonly HostResult[]): string[] {
  const byText = new Map<string, string[]>();
  for (const r of group) {
    const text = (r.changes ?? []).flatMap((c) => (c.diff ? [unifiedDiff(c.diff).trimEnd()] : [])).join('\n');
    if (!text) continue;
    byText.set(text, [...(byText.get(text) ?? []), r.host]);
  }
  if (byText.size === 1 && [...byText.values()][0].length === group.length) return [...byText.keys()];
  return [...byText].flatMap(([text, hosts]) => [`    diff on [${hosts.join(', ')}]:`, text]);
}

/**
 * A play's results and notes as the live view prints them when the play
 * ends: each task's results grouped (groupResults), `[task]` before each
 * group; a note (a play abort) stays where it came, after the results before it.
 */
export function formatDetails(details: readonly (HostResult | string)[], order: readonly string[], opts: Style): string {
  const lines: string[] = [];
  let byTask = new Map<string, HostResult[]>();
  const flush = () => {
    for (const results of byTask.values()) {
      for (const group of groupResults(results, order)) lines.push(`[${group[0].task}] ${formatGroup(group, opts)}`);
    }
    byTask = new Map();
  };
  for (const d of details) {
    if (typeof d === 'string') {
      flush();
      lines.push(d);
      continue;
    }
    const key = `${d.handler}|${d.task}`;
    byTask.set(key, [...(byTask.get(key) ?? []), d]);
  }
  flush();
  return lines.join('\n');
}

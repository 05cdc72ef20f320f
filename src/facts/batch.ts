import { randomBytes } from 'node:crypto';
import type { Connection } from '../connection/types.js';
import { Command, joinCommands } from '../shell/quote.js';
import type { Fact } from './fact.js';

/**
 * Runs many facts in ONE remote command (one round trip): each fact's command
 * runs in its own subshell, stdin from /dev/null and stderr discarded, and is
 * followed by a random marker line carrying its exit code.
 */
export async function gatherFacts(
  conn: Connection,
  facts: readonly Fact<unknown>[],
  become: boolean,
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  if (facts.length === 0) return out;
  const marker = `__labwright_fact_${randomBytes(8).toString('hex')}__`;
  const parts = facts.map(
    (f, i) =>
      new Command(
        `( ${f.command.text}\n) </dev/null 2>/dev/null; printf '\\n%s %s %s\\n' ${marker} ${i} "$?"`,
        `( ${f.command.shown} )`,
      ),
  );
  const script = joinCommands(parts, '\n');
  const result = await conn.exec(script, { become });
  const re = new RegExp(`\\n${marker} (\\d+) (\\d+)\\n`, 'g');
  let start = 0;
  for (const m of result.stdout.matchAll(re)) {
    const fact = facts[Number(m[1])];
    const stdout = result.stdout.slice(start, m.index);
    start = m.index! + m[0].length;
    out.set(fact.id, fact.parse({ stdout, code: Number(m[2]) }));
  }
  const missing = facts.filter((f) => !out.has(f.id));
  if (missing.length > 0) {
    throw new Error(
      `reading facts failed (exit ${result.code}): ${missing.map((f) => f.command.shown).join('; ')}` +
        (result.stderr ? `\nstderr: ${result.stderr.trim()}` : ''),
    );
  }
  return out;
}

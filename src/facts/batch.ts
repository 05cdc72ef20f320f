import { randomBytes } from 'node:crypto';
import type { Connection } from '../connection/types.js';
import { Command, joinCommands } from '../shell/quote.js';
import type { Fact } from './fact.js';

/**
 * Runs many facts in ONE remote command (one round trip): each fact's command
 * runs in its own subshell, stderr discarded, followed by a random marker line
 * carrying its exit code. A fact's stdin is /dev/null, or the input it names:
 * the inputs of all facts travel together on the batch's stdin into a 0600
 * temp file (removed on exit), and each fact reads its own byte range of it,
 * so no content is ever on a command line.
 */
export async function gatherFacts(
  conn: Connection,
  facts: readonly Fact<unknown>[],
  become: boolean,
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  if (facts.length === 0) return out;
  const marker = `__labwright_fact_${randomBytes(8).toString('hex')}__`;
  const inputs: Buffer[] = [];
  let offset = 0;
  const parts = facts.map((f, i) => {
    let input = '';
    let nothing = ' </dev/null';
    if (f.stdin) {
      const bytes = Buffer.from(f.stdin, 'utf8');
      inputs.push(bytes);
      input = `tail -c +${offset + 1} "$lw_in" | head -c ${bytes.length} | `; // tail -c +N counts from 1
      nothing = '';
      offset += bytes.length;
    }
    return new Command(
      `${input}( ${f.command.text}\n)${nothing} 2>/dev/null; printf '\\n%s %s %s\\n' ${marker} ${i} "$?"`,
      `( ${f.command.shown} )`,
    );
  });
  const stdin = Buffer.concat(inputs);
  // mktemp makes the file 0600: the inputs may hold secrets
  const receive = new Command(`lw_in=$(mktemp) || exit 1\ntrap 'rm -f "$lw_in"' EXIT\ncat > "$lw_in"`, 'receive the facts\' input');
  const script = joinCommands(inputs.length > 0 ? [receive, ...parts] : parts, '\n');
  const result = await conn.exec(script, inputs.length > 0 ? { become, stdin } : { become });
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

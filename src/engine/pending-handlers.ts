import { posix } from 'node:path';
import { defineFact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import { sh } from '../shell/quote.js';
import type { HostRun } from './host-run.js';

/**
 * Notified handlers are recorded on the host BEFORE the notifying change is
 * applied, and each is removed right after it ran, so a run that fails or is
 * killed anywhere between a change and its handler still restarts the
 * service on the next run (ansible#10498). A kill after a handler ran and
 * before its removal runs it once more: at least once, never forgotten.
 * The file lives in the host var `labwright_state_dir` (default /var/lib/labwright).
 */
export function pendingFile(host: Host): string {
  const dir = host.vars.labwright_state_dir;
  return posix.join(typeof dir === 'string' && dir ? dir : '/var/lib/labwright', 'pending-handlers');
}

export const pendingHandlers = defineFact('pending-handlers', (file: string) => ({
  command: sh`cat ${file}`,
  parse: ({ stdout, code }) => new Set(code === 0 ? stdout.split('\n').filter(Boolean) : []),
}));

export async function recordPending(run: HostRun, ids: readonly string[]): Promise<void> {
  const file = pendingFile(run.host);
  await run.run(sh`mkdir -p ${posix.dirname(file)} && printf '%s\n' ${ids} >> ${file}`);
}

/**
 * Removes `ids` from the list: the rest is written to a temp file that
 * replaces the list only when it was written whole (grep exits 1 when no line
 * is left, 2 on an error such as a full disk: then the list stays as it was).
 */
export async function clearPending(run: HostRun, ids: readonly string[]): Promise<void> {
  const file = pendingFile(run.host);
  const patterns = ids.flatMap((id) => ['-e', id]);
  const tmp = `${file}.tmp.${process.pid}`;
  await run.run(sh`set -e
if [ -f ${file} ]; then
  rc=0; grep -vxF ${patterns} ${file} > ${tmp} || rc=$?
  if [ "$rc" -gt 1 ]; then rm -f ${tmp}; echo ${`cannot rewrite ${file}: the pending handlers stay recorded`} >&2; exit 1; fi
  mv -f ${tmp} ${file}
fi`);
}

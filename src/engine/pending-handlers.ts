import { posix } from 'node:path';
import { defineFact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import { sh } from '../shell/quote.js';
import type { HostRun } from './host-run.js';

/**
 * Notified handlers are recorded on the host the moment they are notified and
 * removed only after they ran, so a run that fails between a change and its
 * handler still restarts the service on the next run (ansible#10498).
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

export async function clearPending(run: HostRun, ids: readonly string[]): Promise<void> {
  const file = pendingFile(run.host);
  const patterns = ids.flatMap((id) => ['-e', id]);
  const tmp = `${file}.tmp.${process.pid}`;
  await run.run(sh`if [ -f ${file} ]; then grep -vxF ${patterns} ${file} > ${tmp}; mv -f ${tmp} ${file}; fi`);
}

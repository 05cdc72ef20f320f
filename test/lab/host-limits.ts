import { readFile, writeFile } from 'node:fs/promises';

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
/** inotify instances one systemd container uses (systemd, journald, logind, …): 16 booted on the default 128, the 17th did not. */
const PER_HOST = 8;

/**
 * Many systemd containers exhaust the controller's inotify instances (128 by
 * default): systemd in the 17th container of 30 never finished booting. Raise
 * the limit for large labs when root, else say what to do.
 */
export async function ensureInotifyFor(hosts: number): Promise<void> {
  const needed = 32 + hosts * PER_HOST;
  const current = Number((await readFile(INOTIFY_INSTANCES, 'utf8')).trim());
  if (current >= needed) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`a lab of ${hosts} hosts needs fs.inotify.max_user_instances >= ${needed} (it is ${current}): run sysctl -w fs.inotify.max_user_instances=${needed}`);
  }
  await writeFile(INOTIFY_INSTANCES, String(needed));
  console.log(`lab: raised fs.inotify.max_user_instances from ${current} to ${needed} for ${hosts} systemd containers`);
}

import type { Recap } from '../engine/events.js';

/** Ansible's PLAY RECAP table. */
export function formatRecap(recap: Recap): string {
  const names = Object.keys(recap.hosts);
  const width = Math.max(20, ...names.map((n) => n.length));
  const lines = names.map((n) => {
    const c = recap.hosts[n];
    return `${n.padEnd(width)} : ok=${String(c.ok).padEnd(4)} changed=${String(c.changed).padEnd(4)} unreachable=${String(c.unreachable).padEnd(4)} failed=${String(c.failed).padEnd(4)} skipped=${String(c.skipped).padEnd(4)} rescued=${String(c.rescued).padEnd(4)} ignored=${c.ignored}`;
  });
  return ['PLAY RECAP ' + '*'.repeat(60), ...lines, ''].join('\n');
}

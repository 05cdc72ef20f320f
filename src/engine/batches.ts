import { ParseError } from '../errors.js';

/** Ansible's `serial`: batch sizes as counts or percentages; the last size repeats. */
export function serialBatches<T>(hosts: readonly T[], serial?: number | string | readonly (number | string)[]): T[][] {
  if (serial === undefined || hosts.length === 0) return hosts.length ? [[...hosts]] : [];
  const sizes = (Array.isArray(serial) ? serial : [serial]).map((s) => {
    const pct = typeof s === 'string' && /^\d+(\.\d+)?%$/.exec(s);
    const n = pct ? Math.floor((hosts.length * parseFloat(s as string)) / 100) : Number(s);
    if (!Number.isFinite(n) || n < 0) throw new ParseError(`serial: expected a count or a percentage such as "30%", got ${JSON.stringify(s)}`);
    return Math.max(1, n);
  });
  const out: T[][] = [];
  let i = 0;
  for (let b = 0; i < hosts.length; b++) {
    const size = sizes[Math.min(b, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

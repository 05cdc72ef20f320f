import { defineFact } from '../facts/fact.js';
import { sh } from '../shell/quote.js';
import { editFile } from './lines.js';
import { change, ok, sequence, type Op } from './op.js';

/** Swap areas in use (`/proc/swaps`, without its header line). */
export const activeSwaps = defineFact('swaps', () => ({
  command: sh`cat /proc/swaps`,
  parse: ({ stdout }): string[] =>
    stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter(Boolean),
}));

/** An fstab line that mounts swap: its third field is `swap` (comments and blank lines are not). */
export function isSwapLine(line: string): boolean {
  const t = line.trim();
  return t !== '' && !t.startsWith('#') && t.split(/\s+/)[2] === 'swap';
}

/** fstab with every swap line commented out. */
export function commentOutSwap(fstab: string): string {
  return fstab
    .split('\n')
    .map((l) => (isSwapLine(l) ? `#${l}` : l))
    .join('\n');
}

/**
 * No swap, now and after a reboot (what the kubelet wants unless it is told
 * otherwise): `swapoff -a` only while /proc/swaps lists a swap area, and the
 * swap lines of /etc/fstab commented out (a missing fstab is left missing).
 */
export function swapOff(args: { fstab?: string } = {}): Op {
  const fstab = args.fstab ?? '/etc/fstab';
  const swaps = activeSwaps();
  const runtime: Op = {
    label: 'swapoff',
    facts: [swaps],
    async plan(ctx) {
      const inUse = await ctx.fact(swaps);
      if (inUse.length === 0) return ok('no swap in use');
      return change({ summary: `swapoff -a (in use: ${inUse.join(', ')})` }, async (c) => {
        await c.run(sh`swapoff -a`);
      });
    },
  };
  const persisted = editFile(`swap lines of ${fstab}`, { path: fstab, create: false }, (current) => commentOutSwap(current ?? ''));
  return sequence('swap off', [runtime, persisted]);
}

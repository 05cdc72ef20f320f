import { connect } from '../../src/connection/index.js';
import type { Connection } from '../../src/connection/types.js';
import type { Recap, Reporter } from '../../src/engine/events.js';
import type { PlayDef } from '../../src/engine/definitions.js';
import { runPlays, type RunOptions } from '../../src/engine/runner.js';
import type { Inventory } from '../../src/inventory/types.js';

export interface PlayTrips {
  play: string;
  hosts: number;
  /** Commands per host (each one SSH round trip) while the play ran, the run lock's timed renewals left out. */
  perHost: number;
  /** The run lock's renewals meanwhile (one per host every 20 s: they count time, not work). */
  renewals: number;
}

const RENEWAL = /^labwright run lock \(renew\)/;

/**
 * Runs `plays` in-process over real connections, counting each play's
 * commands per host (the first play's include taking the run lock; its
 * release comes after the last play).
 */
export async function runCountingTrips(
  plays: readonly PlayDef[],
  inventory: Inventory,
  options: Omit<RunOptions, 'forks'> & { forks?: number },
): Promise<{ seconds: number; plays: PlayTrips[]; recap: Recap; failures: string[] }> {
  const work = new Map<string, number>();
  let renewals = 0;
  const trips = (hosts: readonly string[]) => hosts.reduce((n, h) => n + (work.get(h) ?? 0), 0);
  const counted: PlayTrips[] = [];
  const failures: string[] = [];
  let current: { play: string; hosts: string[]; before: number; renewals: number } | undefined;
  const reporter: Reporter = {
    event: (e) => {
      if (e.type === 'host:result' && (e.status === 'failed' || e.status === 'unreachable')) failures.push(`${e.host}: ${e.task}: ${e.error?.message}`);
      if (e.type === 'play:start') current = { play: e.play, hosts: e.hosts, before: trips(e.hosts), renewals };
      if (e.type === 'play:end' && current && current.hosts.length > 0) {
        const perHost = (trips(current.hosts) - current.before) / current.hosts.length;
        counted.push({ play: current.play, hosts: current.hosts.length, perHost, renewals: renewals - current.renewals });
      }
    },
    finish: async () => undefined,
  };
  const start = performance.now();
  const recap = await runPlays(plays, inventory, { forks: 8, ...options }, reporter, (h) => {
    const c: Connection = connect(h.name, h.connection);
    const exec = c.exec.bind(c);
    c.exec = (cmd, opts) => {
      if (RENEWAL.test(cmd.shown)) renewals++;
      else work.set(h.name, (work.get(h.name) ?? 0) + 1);
      return exec(cmd, opts);
    };
    return c;
  });
  return { seconds: (performance.now() - start) / 1000, plays: counted, recap, failures };
}

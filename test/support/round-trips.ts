import { connect } from '../../src/connection/index.js';
import type { Connection } from '../../src/connection/types.js';
import type { Recap, Reporter } from '../../src/engine/events.js';
import type { PlayDef } from '../../src/engine/definitions.js';
import { runPlays, type RunOptions } from '../../src/engine/runner.js';
import type { Inventory } from '../../src/inventory/types.js';

export interface PlayTrips {
  play: string;
  hosts: number;
  /** SSH round trips per host of the play while it ran. */
  perHost: number;
}

/** Runs `plays` in-process over real connections, counting each play's round trips per host (a play's first one includes opening the run). */
export async function runCountingTrips(
  plays: readonly PlayDef[],
  inventory: Inventory,
  options: Omit<RunOptions, 'forks'> & { forks?: number },
): Promise<{ seconds: number; plays: PlayTrips[]; recap: Recap }> {
  const conns = new Map<string, Connection[]>();
  const trips = (hosts: readonly string[]) => hosts.reduce((n, h) => n + (conns.get(h) ?? []).reduce((m, c) => m + c.roundTrips, 0), 0);
  const counted: PlayTrips[] = [];
  let current: { play: string; hosts: string[]; before: number } | undefined;
  const reporter: Reporter = {
    event: (e) => {
      if (e.type === 'play:start') current = { play: e.play, hosts: e.hosts, before: trips(e.hosts) };
      if (e.type === 'play:end' && current && current.hosts.length > 0) {
        counted.push({ play: current.play, hosts: current.hosts.length, perHost: (trips(current.hosts) - current.before) / current.hosts.length });
      }
    },
    finish: async () => undefined,
  };
  const start = performance.now();
  const recap = await runPlays(plays, inventory, { forks: 8, ...options }, reporter, (h) => {
    const c = connect(h.name, h.connection);
    conns.set(h.name, [...(conns.get(h.name) ?? []), c]);
    return c;
  });
  return { seconds: (performance.now() - start) / 1000, plays: counted, recap };
}

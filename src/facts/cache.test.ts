import { describe, expect, it } from 'vitest';
import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import { Command, sh } from '../shell/quote.js';
import { connect } from '../connection/index.js';
import { FactCache } from './cache.js';
import { defineFact } from './fact.js';

const echo = defineFact('echo', (word: string) => ({ command: sh`echo ${word}`, parse: ({ stdout }) => stdout.trim() }));

/** The real local connection, counting round trips. */
function counted(): Connection & { trips: number } {
  const local = connect('local', { kind: 'local', address: 'localhost', port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 1000 });
  const c = {
    host: 'local',
    trips: 0,
    roundTrips: 0,
    open: () => local.open(),
    close: () => local.close(),
    exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
      c.trips++;
      return local.exec(cmd, opts);
    },
  };
  return c;
}

describe('fact cache', () => {
  it('reads the missed fact with every upcoming one in one round trip; a hit costs none', async () => {
    const conn = counted();
    const cache = new FactCache(conn, false);
    cache.expect(() => [echo('b'), echo('c')]);
    expect(await cache.get(echo('a'))).toBe('a');
    expect([await cache.get(echo('b')), await cache.get(echo('c'))]).toEqual(['b', 'c']);
    expect(conn.trips).toBe(1);
  });

  it('concurrent misses share one read', async () => {
    const conn = counted();
    const cache = new FactCache(conn, false);
    cache.expect(() => [echo('x'), echo('y')]);
    expect(await Promise.all([cache.get(echo('x')), cache.get(echo('y'))])).toEqual(['x', 'y']);
    expect(conn.trips).toBe(1);
  });

  it('misses of the same moment share one read, even of facts no task announced (ops built from other facts)', async () => {
    const conn = counted();
    const cache = new FactCache(conn, false);
    expect(await Promise.all([cache.get(echo('p')), cache.get(echo('q')), cache.get(echo('r'))])).toEqual(['p', 'q', 'r']);
    expect(conn.trips).toBe(1);
  });

  it('a failed read fails every fact waiting on it; the next miss reads again', async () => {
    const conn = counted();
    const cache = new FactCache(conn, false);
    const broken = defineFact('broken', () => ({ command: sh`true`, parse: () => { throw new Error('unparsable'); } }));
    await expect(Promise.all([cache.get(broken()), cache.get(echo('s'))])).rejects.toThrow('unparsable');
    expect(await cache.get(echo('s'))).toBe('s');
    expect(conn.trips).toBe(2);
  });

  it('a change clears it: the next read goes to the host again', async () => {
    const conn = counted();
    const cache = new FactCache(conn, false);
    await cache.get(echo('a'));
    cache.invalidate();
    await cache.get(echo('a'));
    expect(conn.trips).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../connection/types.js';
import { UnreachableError } from '../errors.js';
import type { Fact } from '../facts/fact.js';
import { sh, type Command } from '../shell/quote.js';
import { fixtureHost } from '../../test/support/fixture-context.js';
import { guarded } from './guarded.js';
import { change, type OpContext } from './op.js';

const never = <T>() => new Promise<T>(() => undefined);
const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0 });

/**
 * A host as guarded sees it, connection by connection: `dead` connections
 * never answer again (the change cut them, or a new one went into a black
 * hole); `opens` says, per reconnect, whether the new connection opens at
 * once, fails, or hangs.
 */
class ScriptedHost implements OpContext {
  readonly host = { ...fixtureHost, connection: { ...fixtureHost.connection, connectTimeoutMs: 1000 } };
  generation = 0;
  readonly log: string[] = [];
  constructor(
    private readonly opens: ('open' | 'hang' | 'refuse')[],
    private readonly answers: (cmd: string) => string = () => '',
    /** The connection the change cuts: once the activation is started, it never answers. */
    private readonly cutByChange = true,
  ) {}
  async fact<T>(_f: Fact<T>): Promise<T> {
    throw new Error('no facts here');
  }
  #dead = new Set<number>();
  async run(cmd: Command, _opts?: ExecOptions): Promise<ExecResult> {
    const gen = this.generation;
    this.log.push(`${gen}: ${cmd.text}`);
    if (this.#dead.has(gen)) return never();
    if (cmd.text.includes('--unit=labwright-activate-') && this.cutByChange) this.#dead.add(gen);
    if (cmd.text.startsWith('systemctl show')) return ok('ActiveState=inactive\nResult=success\n');
    if (cmd.text.startsWith('cat ') && cmd.text.includes('.rolled-back')) return ok('no\n');
    return ok(this.answers(cmd.text));
  }
  async reconnect(): Promise<void> {
    const how = this.opens.shift() ?? 'open';
    this.generation++;
    if (how === 'hang') {
      this.#dead.add(this.generation);
      return never();
    }
    if (how === 'refuse') throw new UnreachableError(this.host.name, 'connection refused');
  }
}

const op = (rollbackAfterSec: number) =>
  guarded({
    label: 'test change',
    stage: [{ label: 'files', facts: [], plan: async () => change({ summary: 'write the file' }, async () => undefined) }],
    paths: ['/etc/test.conf'],
    activate: sh`reload-test`,
    rollbackAfterSec,
  });

async function applyOn(ctx: ScriptedHost, rollbackAfterSec: number) {
  const plan = await op(rollbackAfterSec).plan(ctx);
  if (plan.kind === 'ok') throw new Error('expected a change');
  await plan.apply(ctx);
}

describe('guarded: the confirmation window', () => {
  // The old code asked the cut connection how the activation went and waited for an answer that never came.
  it('is not eaten by the old connection the change cut, nor by a new connection that hangs: confirmed over the next one', { timeout: 20_000 }, async () => {
    const ctx = new ScriptedHost(['hang', 'open']);
    await applyOn(ctx, 15);
    expect(ctx.generation).toBe(2);
    // confirmed (rollback disarmed) over the connection that opened
    expect(ctx.log.some((l) => l.startsWith('2: systemctl stop labwright-rollback-'))).toBe(true);
  });

  it('a change confirmed over a new connection disarms the rollback and clears its unconfirmed mark', { timeout: 20_000 }, async () => {
    const ctx = new ScriptedHost(['refuse', 'open'], () => '', false);
    await applyOn(ctx, 15);
    const disarm = ctx.log.find((l) => l.startsWith('2: systemctl stop labwright-rollback-'));
    expect(disarm).toMatch(/rm -f \/var\/lib\/labwright\/rollback\/\w+\/\.unconfirmed/);
    // the mark was set only once the rollback timer was armed
    expect(ctx.log.find((l) => l.includes('--on-active=15'))).toMatch(/ && date \+%s > \/var\/lib\/labwright\/rollback\/\w+\/\.unconfirmed$/);
  });
});

describe('guarded: another run\'s change is never touched', () => {
  it('refuses while another change of the same configuration is in its confirmation window (rollback timer armed)', async () => {
    const ctx = new ScriptedHost([], (c) => (c.startsWith('if [ -e ') ? 'armed\n' : ''));
    await expect(applyOn(ctx, 30)).rejects.toThrow(/another change of test change is in its confirmation window \(labwright-rollback-\w+\.timer is armed\): not touched/);
    // nothing stopped, backed up or written
    expect(ctx.log).toHaveLength(1);
  });

  it('refuses to back up over a change never confirmed nor rolled back, saying how to put the last confirmed files back', async () => {
    const ctx = new ScriptedHost([], (c) => (c.startsWith('if [ -e ') ? 'stale\n' : ''));
    await expect(applyOn(ctx, 30)).rejects.toThrow(/was never confirmed nor rolled back[^]*sh \/var\/lib\/labwright\/rollback\/\w+\/boot-rollback/);
    expect(ctx.log).toHaveLength(1);
  });
});

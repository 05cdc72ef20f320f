import pLimit from 'p-limit';
import type { Connection } from '../connection/types.js';
import type { Fact } from '../facts/fact.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Op } from '../ops/op.js';
import { serialBatches } from './batches.js';
import type { PlayDef, RoleUse, TaskContext } from './definitions.js';
import { emptyCounters, type HostResult, type Recap, type Reporter } from './events.js';
import { executeWithRetries, failureOutcome, type Outcome } from './execute.js';
import { HostRun } from './host-run.js';
import { clearPending, pendingFile, pendingHandlers, recordPending } from './pending-handlers.js';
import { playHandlers, playTasks, type HandlerEntry, type TaskEntry } from './play-tasks.js';
import { combineErrors } from '../inventory/vars-check.js';
import { resolveRoleVars } from './role-vars.js';
import type { TagSelection } from './tags.js';

export interface RunOptions {
  check: boolean;
  forks: number;
  tags: TagSelection;
  /** Hosts allowed by --limit (undefined = all). */
  limit?: ReadonlySet<string>;
  /** Role vars already resolved (and checked) by the caller; resolved here otherwise. */
  vars?: VarsByPlay;
}

export type Connect = (host: Host) => Connection;

type VarsByRole = Map<RoleUse, unknown>;
/** Each play's resolved role vars: play → host name → role use → vars. */
export type VarsByPlay = Map<PlayDef, Map<string, VarsByRole>>;

/** Every play's hosts, after --limit. */
export function playHosts(play: PlayDef, inventory: Inventory, limit?: ReadonlySet<string>): Host[] {
  return inventory.select(play.hosts).filter((h) => !limit || limit.has(h.name));
}

/**
 * Resolves every role's vars for every host of every play before any host is
 * touched: a bad var anywhere stops the run with all messages at once.
 */
export function resolveAllVars(plays: readonly PlayDef[], inventory: Inventory, limit?: ReadonlySet<string>): VarsByPlay {
  const errors: Error[] = [];
  const out: VarsByPlay = new Map();
  for (const play of plays) {
    const perHost = new Map<string, VarsByRole>();
    for (const host of playHosts(play, inventory, limit)) {
      const byRole: VarsByRole = new Map();
      for (const use of play.roles) {
        try {
          byRole.set(use, resolveRoleVars(use, host, inventory));
        } catch (e) {
          errors.push(e as Error);
        }
      }
      perHost.set(host.name, byRole);
    }
    out.set(play, perHost);
  }
  if (errors.length > 0) throw combineErrors(errors);
  return out;
}

function toOps(built: Op | readonly Op[]): readonly Op[] {
  return Array.isArray(built) ? built : [built as Op];
}

/** Runs plays in order against the inventory; returns the recap. */
export async function runPlays(
  plays: readonly PlayDef[],
  inventory: Inventory,
  opts: RunOptions,
  reporter: Reporter,
  connect: Connect,
): Promise<Recap & { aborted: boolean }> {
  const varsByPlay = opts.vars ?? resolveAllVars(plays, inventory, opts.limit);
  const tasksByPlay = new Map(plays.map((p) => [p, playTasks(p, opts.tags)]));
  const runs = new Map<string, HostRun>();
  const recap: Recap = { hosts: {} };
  let aborted = false;
  const limit = pLimit(Math.max(1, opts.forks));

  const hostRun = (host: Host) => {
    let r = runs.get(host.name);
    // one run per host at a time: a run that changes hosts holds each host's lock until it ends
    if (!r) runs.set(host.name, (r = new HostRun(host, connect, runs, { lock: !opts.check })));
    recap.hosts[host.name] ??= emptyCounters();
    return r;
  };

  const report = (r: HostRun, entryLabel: string, handler: boolean, outcome: Outcome, started: number) => {
    const result: HostResult = { type: 'host:result', host: r.name, task: entryLabel, handler, check: opts.check, durationMs: Date.now() - started, ...outcome };
    recap.hosts[r.name][outcome.status]++;
    if (outcome.status === 'failed' || outcome.status === 'unreachable') r.state = outcome.status;
    reporter.event(result);
  };

  try {
    for (const play of plays) {
      const entries = tasksByPlay.get(play)!;
      const handlers = playHandlers(play);
      const vars = varsByPlay.get(play)!;
      const hosts = playHosts(play, inventory, opts.limit).map(hostRun).filter((r) => r.state === 'active');
      reporter.event({ type: 'play:start', play: play.name, hosts: hosts.map((h) => h.name), check: opts.check });
      for (const batch of serialBatches(hosts, play.serial)) {
        const runner = new PlayOnBatch(play, batch, entries, handlers, vars, inventory, opts, limit, reporter, report);
        if (!(await runner.run())) {
          aborted = true;
          break;
        }
      }
      reporter.event({ type: 'play:end', play: play.name });
      if (aborted) break;
    }
  } finally {
    await Promise.all([...runs.values()].map((r) => r.close().catch(() => undefined)));
  }
  return { ...recap, aborted };
}

/** One batch of hosts through one play, with either strategy. */
class PlayOnBatch {
  readonly #notified = new Map<string, Set<string>>();
  readonly #ops = new Map<string, Map<number, readonly Op[] | null>>();
  readonly #announced = new Set<string>();
  /** Handlers left pending on each host by earlier runs, read once with the first facts. */
  readonly #pending = new Map<string, Promise<Set<string>>>();
  #flushes = 0;

  constructor(
    private readonly play: PlayDef,
    private readonly batch: readonly HostRun[],
    private readonly entries: readonly TaskEntry[],
    private readonly handlers: readonly HandlerEntry[],
    private readonly vars: Map<string, VarsByRole>,
    private readonly inventory: Inventory,
    private readonly opts: RunOptions,
    private readonly limit: ReturnType<typeof pLimit>,
    private readonly reporter: Reporter,
    private readonly report: (r: HostRun, label: string, handler: boolean, o: Outcome, started: number) => void,
  ) {
    for (const r of batch) this.#notified.set(r.name, new Set());
  }

  /** Resolves false when the play must stop (max fail percentage exceeded). */
  async run(): Promise<boolean> {
    if (this.play.strategy === 'free') {
      await Promise.all(
        this.batch.map((r) =>
          this.limit(async () => {
            for (let i = 0; i < this.entries.length && r.state === 'active'; i++) await this.step(r, i);
            await this.flushHost(r);
          }),
        ),
      );
      return !this.tooManyFailed();
    }
    for (let i = 0; i < this.entries.length; i++) {
      const active = this.batch.filter((r) => r.state === 'active');
      if (active.length === 0) break;
      if (this.entries[i]!.def.kind === 'flush') {
        // one flush for the batch: each handler on every host that needs it, then the next
        this.announce(`task ${i}`, this.entries[i]!.label, false);
        await this.flushAll();
        if (this.tooManyFailed()) return false;
        continue;
      }
      await Promise.all(active.map((r) => this.limit(() => this.step(r, i))));
      if (this.tooManyFailed()) return false;
    }
    await this.flushAll();
    return !this.tooManyFailed();
  }

  private tooManyFailed(): boolean {
    const max = this.play.maxFailPercentage;
    if (max === undefined) return false;
    const failed = this.batch.filter((r) => r.state !== 'active').length;
    if (failed > 0 && (failed / this.batch.length) * 100 > max) {
      this.reporter.event({ type: 'play:abort', play: this.play.name, reason: `${failed} of ${this.batch.length} hosts failed (max_fail_percentage ${max})` });
      return true;
    }
    return false;
  }

  /** Emits task:start once per key (an entry index, or a handler within one flush). */
  private announce(key: string, label: string, handler: boolean) {
    if (this.#announced.has(key)) return;
    this.#announced.add(key);
    this.reporter.event({ type: 'task:start', task: label, handler });
  }

  private context(r: HostRun, use: RoleUse): TaskContext<unknown> {
    return { host: r.host, vars: this.vars.get(r.name)!.get(use), inventory: this.inventory };
  }

  /** The ops of entry i on host r (null = skipped by `when`); built once. */
  private opsFor(r: HostRun, i: number): readonly Op[] | null {
    let perHost = this.#ops.get(r.name);
    if (!perHost) this.#ops.set(r.name, (perHost = new Map()));
    if (!perHost.has(i)) {
      const e = this.entries[i];
      if (e.def.kind !== 'task') perHost.set(i, null);
      else {
        const ctx = this.context(r, e.use);
        perHost.set(i, e.def.when && !e.def.when(ctx) ? null : toOps(e.def.build(ctx)));
      }
    }
    return perHost.get(i)!;
  }

  /** Facts of the remaining tasks, so that a fact miss reads them all in one go. */
  private upcomingFacts(r: HostRun, from: number): Fact<unknown>[] {
    const facts: Fact<unknown>[] = [pendingHandlers(pendingFile(r.host))];
    for (let i = from; i < this.entries.length; i++) {
      try {
        for (const op of this.opsFor(r, i) ?? []) facts.push(...op.facts);
      } catch {
        // a task whose ops cannot be built reports that when it runs
      }
    }
    return facts;
  }

  private async step(r: HostRun, i: number): Promise<void> {
    const e = this.entries[i];
    this.announce(`task ${i}`, e.label, false);
    if (e.def.kind === 'flush') return this.flushHost(r);
    const def = e.def;
    const started = Date.now();
    let outcome: Outcome;
    try {
      const ops = this.opsFor(r, i);
      if (ops === null) {
        this.report(r, e.label, false, { status: 'skipped', reason: 'condition (when) is false' }, started);
        return;
      }
      await r.open();
      r.facts.expect(() => this.upcomingFacts(r, i));
      await this.pendingFromEarlierRuns(r);
      // recorded on the host before the change: a run killed after it still runs the handlers next time
      const notified = this.#notified.get(r.name)!;
      const fresh = e.notifies.filter((id) => !notified.has(id));
      const record = fresh.length > 0 ? () => recordPending(r, fresh) : undefined;
      outcome = await executeWithRetries(r, () => ops, this.opts.check, def.retries, def.delayMs, record);
      if (outcome.status === 'changed') for (const id of e.notifies) notified.add(id);
    } catch (err) {
      outcome = failureOutcome(err);
    }
    this.report(r, e.label, false, outcome, started);
  }

  private pendingFromEarlierRuns(r: HostRun): Promise<Set<string>> {
    let p = this.#pending.get(r.name);
    if (!p) this.#pending.set(r.name, (p = r.fact(pendingHandlers(pendingFile(r.host)))));
    return p;
  }

  /** Handlers notified on this host: this run's and those left pending by an earlier run. */
  private async dueHandlers(r: HostRun): Promise<HandlerEntry[]> {
    const notified = this.#notified.get(r.name)!;
    // a host no task contacted is not contacted for handlers either: its pending ones run next time it is
    if (!r.contacted && notified.size === 0) return [];
    const pending = await this.pendingFromEarlierRuns(r);
    return this.handlers.filter((h) => notified.has(h.id) || pending.has(h.id));
  }

  /** Runs a handler, then takes it off the host's pending list at once (a later handler failing must not make it run again). */
  private async runHandler(r: HostRun, h: HandlerEntry): Promise<boolean> {
    const started = Date.now();
    const outcome = await executeWithRetries(r, () => toOps(h.def.build(this.context(r, h.use))), this.opts.check);
    this.report(r, h.label, true, outcome, started);
    if (outcome.status === 'failed' || outcome.status === 'unreachable') return false;
    this.#notified.get(r.name)!.delete(h.id);
    try {
      (await this.pendingFromEarlierRuns(r)).delete(h.id);
      if (!this.opts.check) await clearPending(r, [h.id]);
      return true;
    } catch (err) {
      this.report(r, 'clear pending handlers', true, failureOutcome(err), Date.now());
      return false;
    }
  }

  private async flushHost(r: HostRun): Promise<void> {
    if (r.state !== 'active') return;
    let due: HandlerEntry[];
    try {
      due = await this.dueHandlers(r);
    } catch (err) {
      this.report(r, 'read pending handlers', true, failureOutcome(err), Date.now());
      return;
    }
    const flush = ++this.#flushes;
    for (const h of due) {
      this.announce(`flush ${flush} ${h.id}`, h.label, true);
      if (!(await this.runHandler(r, h))) return;
    }
  }

  /** Linear flush: each handler runs on all hosts that need it before the next handler. */
  private async flushAll(): Promise<void> {
    const active = this.batch.filter((r) => r.state === 'active');
    const due = new Map<string, HandlerEntry[]>();
    await Promise.all(
      active.map((r) =>
        this.limit(async () => {
          try {
            due.set(r.name, await this.dueHandlers(r));
          } catch (err) {
            this.report(r, 'read pending handlers', true, failureOutcome(err), Date.now());
          }
        }),
      ),
    );
    const flush = ++this.#flushes;
    for (const h of this.handlers) {
      const targets = active.filter((r) => r.state === 'active' && due.get(r.name)?.includes(h));
      if (targets.length === 0) continue;
      this.announce(`flush ${flush} ${h.id}`, h.label, true);
      await Promise.all(targets.map((r) => this.limit(() => this.runHandler(r, h))));
    }
  }
}

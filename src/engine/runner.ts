import pLimit from 'p-limit';
import type { Connection } from '../connection/types.js';
import { ParseError } from '../errors.js';
import type { Fact } from '../facts/fact.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Op, OpContext } from '../ops/op.js';
import { serialBatches } from './batches.js';
import type { PlayDef, RoleUse, TaskContext, TaskDef, TaskResult } from './definitions.js';
import { emptyCounters, type HostResult, type Recap, type Reporter } from './events.js';
import { executeWithRetries, failureOutcome, type Outcome } from './execute.js';
import { runTask } from './task-run.js';
import { taskResult } from './task-output.js';
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
  /** Start at the first task of this name ("task" or "role : task"); earlier tasks are skipped (Ansible's --start-at-task). */
  startAt?: string;
  /** Asked before each task (Ansible's --step): run it, skip it, or run this and every later task without asking. */
  step?: (task: string) => Promise<'yes' | 'no' | 'continue'>;
}

export type Connect = (host: Host) => Connection;

type VarsByRole = Map<RoleUse, unknown>;
/** Each play's resolved role vars: play → host name → role use → vars. */
export type VarsByPlay = Map<PlayDef, Map<string, VarsByRole>>;

/** How a result counts: a failure let pass (ignoreErrors), or held until its block settles it (rescue). */
interface ReportHow {
  ignoreErrors?: boolean;
  holdFailure?: boolean;
}
type Report = (r: HostRun, label: string, handler: boolean, o: Outcome, started: number, how?: ReportHow) => void;
/** A host's failure held in a block, settled at the block's end: rescued, or failed after all. */
type Settle = (r: HostRun, rescued: boolean) => void;

/** --start-at-task: the tasks of each play from the first of that name on (none of a play before it). */
class StartAt {
  #started: boolean;
  constructor(private readonly name: string | undefined) {
    this.#started = name === undefined;
  }
  from(entries: readonly TaskEntry[]): readonly TaskEntry[] {
    if (this.#started) return entries;
    const first = entries.findIndex((e) => matchesTaskName(e, this.name!));
    if (first < 0) return [];
    this.#started = true;
    return entries.slice(first);
  }
}

function matchesTaskName(e: TaskEntry, name: string): boolean {
  return e.label === name || e.def.name === name;
}

function checkStartAt(name: string, entries: readonly TaskEntry[]): void {
  if (!entries.some((e) => matchesTaskName(e, name))) {
    throw new ParseError(`--start-at-task "${name}": no task of that name in the selected plays (write "task" or "role : task")`);
  }
}

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
  if (opts.startAt) checkStartAt(opts.startAt, [...tasksByPlay.values()].flat());
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

  const report: Report = (r, entryLabel, handler, outcome, started, how = {}) => {
    const ignored = how.ignoreErrors && outcome.status === 'failed' ? { ignored: true } : {};
    const result: HostResult = { type: 'host:result', host: r.name, task: entryLabel, handler, check: opts.check, durationMs: Date.now() - started, ...outcome, ...ignored };
    const held = outcome.status === 'failed' && (ignored.ignored || how.holdFailure);
    // a held failure counts when its block settles it (rescued or failed)
    const counter = ignored.ignored ? 'ignored' : held ? undefined : outcome.status;
    if (counter) recap.hosts[r.name][counter]++;
    if (!held && (outcome.status === 'failed' || outcome.status === 'unreachable')) r.state = outcome.status;
    reporter.event(result);
  };
  const settle: Settle = (r, rescued) => {
    recap.hosts[r.name][rescued ? 'rescued' : 'failed']++;
    if (!rescued) r.state = 'failed';
  };
  const startAt = new StartAt(opts.startAt);

  try {
    for (const play of plays) {
      const entries = startAt.from(tasksByPlay.get(play)!);
      const handlers = playHandlers(play);
      const vars = varsByPlay.get(play)!;
      const hosts = playHosts(play, inventory, opts.limit).map(hostRun).filter((r) => r.state === 'active');
      reporter.event({ type: 'play:start', play: play.name, hosts: hosts.map((h) => h.name), check: opts.check });
      for (const batch of serialBatches(hosts, play.serial)) {
        const forks = play.forks === undefined ? limit : pLimit(Math.max(1, play.forks));
        const runner = new PlayOnBatch(play, batch, entries, handlers, vars, inventory, opts, forks, reporter, report, settle);
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
  /** Blocks in which a host failed (by block id), and whether its rescue failed too. */
  readonly #blockFailures = new Map<string, Map<number, 'failed' | 'rescue failed'>>();
  /** The one run of each runOnce task (by entry index): the host running it and its result, shared by the batch's hosts. */
  readonly #once = new Map<number, { host: HostRun; result: Promise<TaskResult>; resolve: (t: TaskResult) => void }>();
  /** Tasks the user chose to skip (--step), by entry index; `continue` stops asking. */
  readonly #stepSkipped = new Set<number>();
  #stepAnswered = new Map<number, Promise<void>>();
  #stepContinue = false;
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
    private readonly report: Report,
    private readonly settle: Settle,
  ) {
    for (const r of batch) {
      this.#notified.set(r.name, new Set());
      this.#blockFailures.set(r.name, new Map());
    }
  }

  /** Resolves false when the play must stop (max fail percentage exceeded). */
  async run(): Promise<boolean> {
    if (this.play.strategy === 'free') {
      await Promise.all(
        this.batch.map((r) =>
          this.limit(async () => {
            for (let i = 0; i < this.entries.length && r.state === 'active'; i++) {
              const e = this.entries[i]!;
              if (e.def.kind === 'task' && e.def.runOnce && this.entersBlockTask(r, e)) this.claimOnce(i, r);
              await this.step(r, i);
            }
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
      const e = this.entries[i]!;
      if (e.def.kind === 'task' && e.def.runOnce) {
        const runner = active.find((r) => this.entersBlockTask(r, e));
        if (runner) this.claimOnce(i, runner);
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
    return { host: r.host, vars: this.vars.get(r.name)!.get(use), inventory: this.inventory, registered: r.registered };
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
    if (!this.entersBlockTask(r, e)) return this.settleBlock(r, e);
    if (!(await this.stepAllows(i, e.label))) return this.settleBlock(r, e);
    this.announce(`task ${i}`, e.label, false);
    if (e.def.kind === 'flush') return this.flushHost(r);
    const def = e.def;
    if (def.runOnce) {
      const once = this.#once.get(i);
      if (once && once.host !== r) {
        // run once: the other hosts take the one result, reported on the host that ran it
        this.register(r, i, def, await once.result);
        return this.settleBlock(r, e);
      }
    }
    const started = Date.now();
    const how = { ignoreErrors: def.ignoreErrors, holdFailure: e.block !== undefined && e.block.section !== 'always' };
    let outcome: Outcome;
    let result: TaskResult;
    try {
      const ops = this.opsFor(r, i);
      if (ops !== null) {
        await r.open();
        r.facts.expect(() => this.upcomingFacts(r, i));
        await this.pendingFromEarlierRuns(r);
      }
      if (ops === null || (def.whenFacts && !(await def.whenFacts({ ...this.context(r, e.use), fact: (f) => r.fact(f) })))) {
        outcome = { status: 'skipped', reason: ops === null ? 'condition (when) is false' : 'condition (whenFacts) is false' };
        result = taskResult(outcome);
      } else {
        ({ outcome, result } = await this.runOn(r, i, def, ops));
      }
    } catch (err) {
      outcome = failureOutcome(err);
      result = taskResult(outcome);
    }
    this.#once.get(i)?.resolve(result);
    this.report(r, e.label, false, outcome, started, how);
    this.register(r, i, def, result);
    if (outcome.status === 'failed' && how.holdFailure && !def.ignoreErrors) this.failInBlock(r, e);
    this.settleBlock(r, e);
  }

  /** runOnce: the host that runs entry i (linear: the batch's first host taking part; free: the first to get there). */
  private claimOnce(i: number, host: HostRun): void {
    if (this.#once.has(i)) return;
    let resolve!: (t: TaskResult) => void;
    const result = new Promise<TaskResult>((res) => (resolve = res));
    this.#once.set(i, { host, result, resolve });
  }

  /** Runs a task's ops on the host, or on its delegate, recording its handlers before the first change. */
  private async runOn(r: HostRun, i: number, def: TaskDef<unknown>, ops: readonly Op[]): Promise<{ outcome: Outcome; result: TaskResult }> {
    const e = this.entries[i];
    const delegateName = typeof def.delegateTo === 'function' ? def.delegateTo(this.context(r, e.use)) : def.delegateTo;
    let target: OpContext = r;
    if (delegateName !== undefined) {
      const host = this.inventory.hosts.get(delegateName);
      if (!host) throw new Error(`delegateTo: no inventory host is named "${delegateName}"`);
      target = await r.delegate(host);
    }
    // recorded on the host before the change: a run killed after it still runs the handlers next time
    const notified = this.#notified.get(r.name)!;
    const fresh = e.notifies.filter((id) => !notified.has(id));
    const record = fresh.length > 0 ? () => recordPending(r, fresh) : undefined;
    const ran = await runTask(target, () => ops, this.opts.check, def, record);
    if (ran.outcome.status === 'changed') for (const id of e.notifies) notified.add(id);
    return ran;
  }

  /** Keeps a task's result under its `register` name (for every host of the batch when it ran once). */
  private register(r: HostRun, i: number, def: TaskDef<unknown>, result: TaskResult): void {
    if (def.register === undefined) return;
    r.registered.set(def.register, result);
    // later tasks may read it when they build their ops: build them again
    const built = this.#ops.get(r.name);
    if (built) for (const j of [...built.keys()]) if (j > i) built.delete(j);
  }

  /** Whether host r takes part in this entry: a block's tasks stop at its first failure, its rescue runs only after one. */
  private entersBlockTask(r: HostRun, e: TaskEntry): boolean {
    if (!e.block) return true;
    const failure = this.#blockFailures.get(r.name)!.get(e.block.id);
    if (e.block.section === 'block') return failure === undefined;
    if (e.block.section === 'rescue') return failure === 'failed';
    return true;
  }

  private failInBlock(r: HostRun, e: TaskEntry): void {
    const failures = this.#blockFailures.get(r.name)!;
    failures.set(e.block!.id, e.block!.section === 'rescue' ? 'rescue failed' : 'failed');
  }

  /** At a block's last entry: a host that failed in it is rescued (its rescue ran through) or fails now. */
  private settleBlock(r: HostRun, e: TaskEntry): void {
    if (!e.block?.last) return;
    const failure = this.#blockFailures.get(r.name)!.get(e.block.id);
    if (failure === undefined || r.state !== 'active') return;
    this.settle(r, failure === 'failed' && e.block.hasRescue);
  }

  /** --step: asks once per task (not per host) whether to run it. */
  private async stepAllows(i: number, label: string): Promise<boolean> {
    const ask = this.opts.step;
    if (!ask) return true;
    if (!this.#stepAnswered.has(i)) {
      this.#stepAnswered.set(
        i,
        (async () => {
          if (this.#stepContinue) return;
          const answer = await ask(label);
          if (answer === 'no') this.#stepSkipped.add(i);
          if (answer === 'continue') this.#stepContinue = true;
        })(),
      );
    }
    await this.#stepAnswered.get(i);
    return !this.#stepSkipped.has(i);
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

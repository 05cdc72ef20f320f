import type { z } from 'zod';
import type { Host, Inventory } from '../inventory/types.js';
import type { Op } from '../ops/op.js';
import type { Claim } from '../plan/claims.js';
import type { Fact } from '../facts/fact.js';

/** What a task or handler sees when it builds its operations for one host. */
export interface TaskContext<V> {
  readonly host: Host;
  /** The role's typed vars for this host (defaults < inventory < play params). */
  readonly vars: V;
  readonly inventory: Inventory;
  /** Results of this host's earlier tasks that set `register` (Ansible's registered variables), by name; absent outside a run (plan check). */
  readonly registered?: ReadonlyMap<string, TaskResult>;
}

/**
 * What a task did on one host: available to later tasks (`register`) and to
 * the task's own `changedWhen`/`failedWhen`/`until` predicates. The output
 * fields are those of the task's last command (absent when it ran none).
 */
export interface TaskResult {
  readonly status: 'ok' | 'changed' | 'failed' | 'skipped';
  readonly changed: boolean;
  readonly failed: boolean;
  readonly exitCode?: number | null;
  readonly stdout?: string;
  readonly stderr?: string;
  /** stdout parsed as JSON (undefined when it is not JSON). */
  json<T = unknown>(): T | undefined;
}

/** A task's context once its host is connected: facts can be read (for `whenFacts`). */
export interface FactContext<V> extends TaskContext<V> {
  fact<T>(fact: Fact<T>): Promise<T>;
}

export type OpBuilder<V> = (ctx: TaskContext<V>) => Op | readonly Op[];

export interface TaskOptions<V> {
  tags?: readonly string[];
  /** Handler names or `listen` topics to notify when this task changes something. */
  notify?: readonly string[];
  /** Run only on hosts where this returns true (otherwise reported as skipped). Ansible's `when` on vars. */
  when?: (ctx: TaskContext<V>) => boolean;
  /** Like `when`, on facts read from the host (Ansible's `when` on facts); evaluated after `when`. */
  whenFacts?: (ctx: FactContext<V>) => Promise<boolean>;
  /** Retry a failed task this many times (with `until`: until it holds), re-planning each time. */
  retries?: number;
  delayMs?: number;
  /** Run the task again (re-planned, up to `retries` more times, `delayMs` apart) until this holds (Ansible's `until`). */
  until?: (result: TaskResult) => boolean;
  /** A failure is reported and counted as ignored; the host goes on (Ansible's `ignore_errors`). */
  ignoreErrors?: boolean;
  /** Whether the task changed something, decided from its result (Ansible's `changed_when`); false also notifies nothing. */
  changedWhen?: (result: TaskResult) => boolean;
  /** Whether the task failed, decided from its result instead of the exit code (Ansible's `failed_when`). */
  failedWhen?: (result: TaskResult) => boolean;
  /** Keep the result under this name for this host's later tasks (`ctx.registered`). */
  register?: string;
  /** Run on the first host of the batch only; its result is registered for every host of the batch (Ansible's `run_once`). */
  runOnce?: boolean;
  /** Run the task's operations on this inventory host instead (by name), with this host's vars (Ansible's `delegate_to`). */
  delegateTo?: string | ((ctx: TaskContext<V>) => string);
}

export interface TaskDef<V> extends TaskOptions<V> {
  readonly kind: 'task';
  readonly name: string;
  readonly build: OpBuilder<V>;
}

/**
 * Tasks run together: when one fails on a host, the rest of the block is
 * skipped there and `rescue` runs instead; `always` runs either way (Ansible's
 * block/rescue/always). A host whose rescue succeeds goes on, counted as rescued.
 */
export interface BlockDef<V> {
  readonly kind: 'block';
  readonly name: string;
  readonly tasks: readonly (TaskDef<V> | FlushDef)[];
  readonly rescue: readonly TaskDef<V>[];
  readonly always: readonly TaskDef<V>[];
}

/** Runs the handlers notified so far, at this point of the play. */
export interface FlushDef {
  readonly kind: 'flush';
  readonly name: string;
  readonly tags?: readonly string[];
}

export interface HandlerDef<V> {
  readonly name: string;
  readonly build: OpBuilder<V>;
  /** Topics this handler also answers to: a task notifying a topic notifies every handler listening to it. */
  readonly listen?: readonly string[];
}

/** The typed task/handler constructors a role's definition receives. */
export interface RoleKit<V> {
  task(name: string, build: OpBuilder<V>, options?: TaskOptions<V>): TaskDef<V>;
  handler(name: string, build: OpBuilder<V>, options?: { listen?: readonly string[] }): HandlerDef<V>;
  flushHandlers(): FlushDef;
  block(name: string, tasks: readonly (TaskDef<V> | FlushDef)[], sections?: { rescue?: readonly TaskDef<V>[]; always?: readonly TaskDef<V>[] }): BlockDef<V>;
}

function roleKit<V>(): RoleKit<V> {
  return {
    task: (name, build, options = {}) => ({ kind: 'task', name, build, ...options }),
    handler: (name, build, options = {}) => ({ name, build, ...options }),
    flushHandlers: () => ({ kind: 'flush', name: 'flush handlers', tags: ['always'] }),
    block: (name, tasks, sections = {}) => ({ kind: 'block', name, tasks, rescue: sections.rescue ?? [], always: sections.always ?? [] }),
  };
}

export interface RoleDef<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** Key of the role's vars in inventory (`static-routes` → `static_routes`). */
  readonly varsKey: string;
  readonly vars: S;
  /** Defaults derived from the inventory (lowest precedence); `given` is what the inventory and the play set for the role (a default may depend on it). */
  readonly defaults?: (host: Host, inventory: Inventory, given: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  readonly tasks: readonly (TaskDef<z.output<S>> | FlushDef | BlockDef<z.output<S>>)[];
  readonly handlers: readonly HandlerDef<z.output<S>>[];
  /** What the role uses of the address space on a host, for the plan check (`--plan`). */
  readonly addressPlan?: (ctx: TaskContext<z.output<S>>) => Claim[];
}

/** A role as used in a play, with optional play-level params (highest precedence). */
export interface RoleUse {
  readonly role: RoleDef;
  readonly params: Record<string, unknown>;
}

export interface Role<S extends z.ZodType> extends RoleDef<S>, RoleUse {
  /** The same role with play-level params. */
  with(params: Partial<z.input<S>> & Record<string, unknown>): RoleUse;
}

/**
 * A role: a vars schema, optional defaults derived from the inventory, tasks
 * and handlers. `tasks` and `handlers` receive typed constructors:
 *
 *   defineRole({ name: 'x', vars: z.object({...}),
 *     tasks: ({ task }) => [task('write config', ({ vars }) => file({...}), { notify: ['restart x'] })],
 *     handlers: ({ handler }) => [handler('restart x', () => service({ name: 'x', state: 'restarted' }))] })
 */
export function defineRole<S extends z.ZodType>(def: {
  name: string;
  vars: S;
  defaults?: (host: Host, inventory: Inventory, given: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  tasks: (kit: RoleKit<z.output<S>>) => readonly (TaskDef<z.output<S>> | FlushDef | BlockDef<z.output<S>>)[];
  handlers?: (kit: RoleKit<z.output<S>>) => readonly HandlerDef<z.output<S>>[];
  addressPlan?: (ctx: TaskContext<z.output<S>>) => Claim[];
}): Role<S> {
  // a role's name is its tag: Ansible's special tags would change when its tasks run
  if (['always', 'never', 'all', 'tagged', 'untagged'].includes(def.name)) throw new Error(`role name "${def.name}" is a special tag; choose another name`);
  const kit = roleKit<z.output<S>>();
  const role: RoleDef<S> = {
    name: def.name,
    vars: def.vars,
    defaults: def.defaults,
    varsKey: def.name.replace(/-/g, '_'),
    tasks: def.tasks(kit),
    handlers: def.handlers?.(kit) ?? [],
    addressPlan: def.addressPlan,
  };
  return {
    ...role,
    role: role as unknown as RoleDef,
    params: {},
    with: (params) => ({ role: role as unknown as RoleDef, params }),
  };
}

export interface PlayDef {
  name: string;
  /** Ansible host pattern. */
  hosts: string;
  roles: readonly RoleUse[];
  strategy?: 'linear' | 'free';
  /** Batch sizes: a count, a percentage ("30%"), or a list of them (the last repeats). */
  serial?: number | string | readonly (number | string)[];
  /** Abort the play when more than this percentage of a batch has failed (0 = any failure). */
  maxFailPercentage?: number;
  /** Hosts worked on in parallel in this play (overrides --forks; Ansible's play-level `throttle`/forks). */
  forks?: number;
}

export function play(def: PlayDef): PlayDef {
  return def;
}

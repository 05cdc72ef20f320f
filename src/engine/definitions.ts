import type { z } from 'zod';
import type { Host, Inventory } from '../inventory/types.js';
import type { Op } from '../ops/op.js';
import type { Claim } from '../plan/claims.js';

/** What a task or handler sees when it builds its operations for one host. */
export interface TaskContext<V> {
  readonly host: Host;
  /** The role's typed vars for this host (defaults < inventory < play params). */
  readonly vars: V;
  readonly inventory: Inventory;
}

export type OpBuilder<V> = (ctx: TaskContext<V>) => Op | readonly Op[];

export interface TaskOptions<V> {
  tags?: readonly string[];
  /** Handler names to notify when this task changes something. */
  notify?: readonly string[];
  /** Run only on hosts where this returns true (otherwise reported as skipped). */
  when?: (ctx: TaskContext<V>) => boolean;
  /** Retry a failed task this many times, re-planning each time. */
  retries?: number;
  delayMs?: number;
}

export interface TaskDef<V> extends TaskOptions<V> {
  readonly kind: 'task';
  readonly name: string;
  readonly build: OpBuilder<V>;
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
}

/** The typed task/handler constructors a role's definition receives. */
export interface RoleKit<V> {
  task(name: string, build: OpBuilder<V>, options?: TaskOptions<V>): TaskDef<V>;
  handler(name: string, build: OpBuilder<V>): HandlerDef<V>;
  flushHandlers(): FlushDef;
}

function roleKit<V>(): RoleKit<V> {
  return {
    task: (name, build, options = {}) => ({ kind: 'task', name, build, ...options }),
    handler: (name, build) => ({ name, build }),
    flushHandlers: () => ({ kind: 'flush', name: 'flush handlers', tags: ['always'] }),
  };
}

export interface RoleDef<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** Key of the role's vars in inventory (`static-routes` → `static_routes`). */
  readonly varsKey: string;
  readonly vars: S;
  /** Defaults derived from the inventory (lowest precedence). */
  readonly defaults?: (host: Host, inventory: Inventory) => Record<string, unknown>;
  readonly tasks: readonly (TaskDef<z.output<S>> | FlushDef)[];
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
  defaults?: (host: Host, inventory: Inventory) => Record<string, unknown>;
  tasks: (kit: RoleKit<z.output<S>>) => readonly (TaskDef<z.output<S>> | FlushDef)[];
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
}

export function play(def: PlayDef): PlayDef {
  return def;
}

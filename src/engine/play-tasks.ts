import { ParseError } from '../errors.js';
import type { BlockDef, FlushDef, HandlerDef, PlayDef, RoleUse, TaskDef } from './definitions.js';
import { isSelected, type TagSelection } from './tags.js';

export interface TaskEntry {
  use: RoleUse;
  def: TaskDef<unknown> | FlushDef;
  /** "role : task", as shown in output. */
  label: string;
  tags: string[];
  /** Handler ids this task notifies. */
  notifies: string[];
  /** Where the task is when it is part of a block. */
  block?: BlockPlace;
}

/** A task's place in a block (Ansible's block/rescue/always). */
export interface BlockPlace {
  /** The block's number within the play. */
  id: number;
  section: 'block' | 'rescue' | 'always';
  hasRescue: boolean;
  /** The last selected entry of the block: where a host's failure in it is settled. */
  last: boolean;
}

export interface HandlerEntry {
  use: RoleUse;
  def: HandlerDef<unknown>;
  id: string;
  label: string;
}

export function handlerId(use: RoleUse, name: string): string {
  return `${use.role.name}:${name}`;
}

/** The play's handlers in definition order (role order, then order within the role). */
export function playHandlers(play: PlayDef): HandlerEntry[] {
  return play.roles.flatMap((use) =>
    use.role.handlers.map((def) => ({ use, def: def as HandlerDef<unknown>, id: handlerId(use, def.name), label: `${use.role.name} : ${def.name}` })),
  );
}

/** The play's tasks in order, each tagged with its role's name, filtered by the tag selection; blocks flattened. */
export function playTasks(play: PlayDef, tags: TagSelection): TaskEntry[] {
  const handlers = playHandlers(play);
  let blocks = 0;
  const entries = play.roles.flatMap((use) => {
    const entry = (def: TaskDef<unknown> | FlushDef, block?: BlockPlace): TaskEntry => ({
      use,
      def,
      label: `${use.role.name} : ${def.name}`,
      tags: [use.role.name, ...(def.tags ?? [])],
      notifies: def.kind === 'task' ? (def.notify ?? []).flatMap((name) => notified(play, use, def.name, name, handlers)) : [],
      block,
    });
    return use.role.tasks.flatMap((def) => {
      if (def.kind !== 'block') return [entry(def as TaskDef<unknown> | FlushDef)];
      const block = def as BlockDef<unknown>;
      const id = blocks++;
      const place = (section: BlockPlace['section']): BlockPlace => ({ id, section, hasRescue: block.rescue.length > 0, last: false });
      return [
        ...block.tasks.map((t) => entry(t, place('block'))),
        ...block.rescue.map((t) => entry(t, place('rescue'))),
        ...block.always.map((t) => entry(t, place('always'))),
      ];
    });
  });
  const selected = entries.filter((e) => isSelected(e.tags, tags));
  const lastOfBlock = new Map<number, TaskEntry>();
  for (const e of selected) if (e.block) lastOfBlock.set(e.block.id, e);
  return selected.map((e) => (e.block && lastOfBlock.get(e.block.id) === e ? { ...e, block: { ...e.block, last: true } } : e));
}

/**
 * The handler ids a task's `notify` name reaches: the handler of that name
 * (the task's own role's first), or every handler listening to it as a topic.
 */
function notified(play: PlayDef, use: RoleUse, task: string, name: string, handlers: readonly HandlerEntry[]): string[] {
  const own = handlers.find((h) => h.use === use && h.def.name === name) ?? handlers.find((h) => h.def.name === name);
  if (own) return [own.id];
  const listening = handlers.filter((h) => h.def.listen?.includes(name));
  if (listening.length > 0) return listening.map((h) => h.id);
  throw new ParseError(
    `play "${play.name}": task "${use.role.name} : ${task}" notifies "${name}", but no role in the play has a handler of that name or listening to it` +
      ` (handlers: ${handlers.map((h) => h.def.name).join(', ') || 'none'})`,
  );
}

import { ParseError } from '../errors.js';
import type { FlushDef, HandlerDef, PlayDef, RoleUse, TaskDef } from './definitions.js';
import { isSelected, type TagSelection } from './tags.js';

export interface TaskEntry {
  use: RoleUse;
  def: TaskDef<unknown> | FlushDef;
  /** "role : task", as shown in output. */
  label: string;
  tags: string[];
  /** Handler ids this task notifies. */
  notifies: string[];
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

/** The play's tasks in order, each tagged with its role's name, filtered by the tag selection. */
export function playTasks(play: PlayDef, tags: TagSelection): TaskEntry[] {
  const handlers = playHandlers(play);
  const entries = play.roles.flatMap((use) =>
    use.role.tasks.map((def): TaskEntry => {
      const notify = def.kind === 'task' ? (def.notify ?? []) : [];
      const notifies = notify.map((name) => {
        const own = handlers.find((h) => h.use === use && h.def.name === name) ?? handlers.find((h) => h.def.name === name);
        if (!own) {
          throw new ParseError(
            `play "${play.name}": task "${use.role.name} : ${def.name}" notifies "${name}", but no role in the play has a handler of that name` +
              ` (handlers: ${handlers.map((h) => h.def.name).join(', ') || 'none'})`,
          );
        }
        return own.id;
      });
      return {
        use,
        def: def as TaskDef<unknown> | FlushDef,
        label: `${use.role.name} : ${def.name}`,
        tags: [use.role.name, ...(def.tags ?? [])],
        notifies,
      };
    }),
  );
  return entries.filter((e) => isSelected(e.tags, tags));
}

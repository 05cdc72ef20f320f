import type { InventoryDraft } from './draft.js';
import { parseErrorAt, type Origin } from './position.js';

/** Where groups sit in the group tree. */
export interface GroupGraph {
  /** Longest distance from `all` (Ansible's group depth): `all` is 0, top-level groups 1. */
  readonly depths: ReadonlyMap<string, number>;
  /** Each group with every group that contains it, itself and `all` included. */
  readonly ancestors: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Adds Ansible's implicit structure (InventoryData.reconcile_inventory):
 * groups without a parent are children of `all`, after its written children;
 * hosts in no group but `all` (or `ungrouped`) are in `ungrouped`: those
 * written there first, in file order, then the others in inventory order.
 */
export function addImplicitGroups(draft: InventoryDraft): void {
  const groups = [...draft.groups.values()];
  const allAsChild = groups.find((group) => group.children.has('all'));
  if (allAsChild) {
    throw parseErrorAt(allAsChild.children.get('all')!, 'the all group contains every group: it cannot be a child');
  }
  const withParent = new Set(groups.flatMap((group) => [...group.children.keys()]));
  const all = draft.groups.get('all')!;
  for (const { name } of groups) if (name !== 'all' && !withParent.has(name)) all.children.set(name, undefined);

  const grouped = new Set(
    groups.filter(({ name }) => name !== 'all' && name !== 'ungrouped').flatMap((group) => [...group.hosts]),
  );
  const ungrouped = draft.groups.get('ungrouped')!;
  for (const host of ungrouped.hosts) if (grouped.has(host)) ungrouped.hosts.delete(host);
  for (const host of draft.hosts.keys()) if (!grouped.has(host)) ungrouped.hosts.add(host);
}

/** Depths and ancestors of every group; a group that contains itself is a ParseError. */
export function analyzeGroups(draft: InventoryDraft): GroupGraph {
  const parents = new Map([...draft.groups.keys()].map((name) => [name, [] as { parent: string; origin?: Origin }[]]));
  for (const group of draft.groups.values()) {
    for (const [child, origin] of group.children) parents.get(child)!.push({ parent: group.name, origin });
  }

  const depths = new Map([['all', 0]]);
  const ancestors = new Map<string, ReadonlySet<string>>([['all', new Set(['all'])]]);
  const visiting: string[] = [];
  const visit = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    visiting.push(name);
    const depth = 1 + Math.max(...parents.get(name)!.map(({ parent, origin }) => {
      // A cycle only goes through written edges: implicit ones start at `all`, which is never visited.
      if (visiting.includes(parent)) {
        const reason = `group "${name}" cannot be a child of "${parent}", which is itself inside "${name}"`;
        throw parseErrorAt(origin!, reason);
      }
      return visit(parent);
    }));
    visiting.pop();
    depths.set(name, depth);
    ancestors.set(name, new Set([name, ...parents.get(name)!.flatMap(({ parent }) => [...ancestors.get(parent)!])]));
    return depth;
  };
  for (const name of draft.groups.keys()) visit(name);
  return { depths, ancestors };
}

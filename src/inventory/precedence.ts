import type { InventoryDraft } from './draft.js';
import type { GroupGraph } from './graph.js';
import { mergeLayers, type Located, type VarLayer } from './merge.js';
import { parseErrorAt } from './position.js';
import { expectValue, GROUP_PRIORITY } from './schema.js';
import type { VarsFiles } from './vars-files.js';

/** Where the variables of every group come from. */
export interface GroupSources {
  /** The `vars:` sections of each group in the inventory files, without `ansible_group_priority`. */
  readonly inventory: ReadonlyMap<string, readonly VarLayer[]>;
  /** For each inventory file in order, each group's vars files beside it. */
  readonly files: readonly VarsFiles[];
  /** `ansible_group_priority` of each group (default 1). */
  readonly priorities: ReadonlyMap<string, number>;
}

const PRIORITY_KEY = 'ansible_group_priority';

/**
 * The variable sources of every group. Like Ansible, `ansible_group_priority`
 * is read from the inventory files only (the last value wins) and is not a
 * variable. Ansible silently ignores it in group_vars/ files (they are loaded
 * after the groups are ordered) and keeps it there as an ordinary variable:
 * labwright refuses it there rather than order groups differently from what
 * the file says. A priority that is not an integer is a ParseError.
 */
export function groupSources(draft: InventoryDraft, groupVarsFiles: readonly VarsFiles[]): GroupSources {
  for (const files of groupVarsFiles) {
    for (const [group, layers] of files) {
      for (const layer of layers) {
        const priority = layer.get(PRIORITY_KEY);
        if (priority) {
          throw parseErrorAt(
            priority.origin,
            'read only from the inventory file, as by Ansible, which ignores it in group_vars/ files ' +
              '(they are loaded after the groups are ordered): ' +
              `move it to the vars: of group "${group}" in the inventory`,
          );
        }
      }
    }
  }
  const inventory = new Map<string, VarLayer[]>();
  const priorities = new Map<string, number>();
  for (const group of draft.groups.values()) {
    let priority = 1;
    for (const layer of group.vars) {
      const located = layer.get(PRIORITY_KEY);
      if (located) priority = expectValue(GROUP_PRIORITY, located.value, located.origin);
    }
    priorities.set(group.name, priority);
    inventory.set(
      group.name,
      group.vars.map((layer) => new Map([...layer].filter(([key]) => key !== PRIORITY_KEY))),
    );
  }
  return { inventory, files: groupVarsFiles, priorities };
}

/** The own variables of `group`: its inventory `vars:`, then its group_vars/ files. */
export function ownGroupVars(group: string, sources: GroupSources): Map<string, Located> {
  return mergeLayers([...sources.inventory.get(group)!, ...sources.files.flatMap((files) => files.get(group)!)]);
}

/**
 * Ansible's merge order of groups: parents before children (depth), then
 * `ansible_group_priority` (default 1), then name. `all` (depth 0) comes first.
 */
export function groupMergeOrder(graph: GroupGraph, sources: GroupSources): (a: string, b: string) => number {
  const depth = (group: string) => graph.depths.get(group)!;
  const priority = (group: string) => sources.priorities.get(group)!;
  return (a, b) => depth(a) - depth(b) || priority(a) - priority(b) || compare(a, b);
}

/**
 * A host's variable sources, lowest precedence first, as in Ansible with its
 * default VARIABLE_PRECEDENCE (all_inventory, groups_inventory,
 * all_plugins_inventory, groups_plugins_inventory) and hash_behaviour=replace:
 *
 *  1. the `vars:` of every group of the host in the inventory files, in group
 *     merge order (so `all` first);
 *  2. group_vars/all;
 *  3. the group_vars/ files of its other groups, in group merge order;
 *  4. the host's own variables in the inventory files;
 *  5. host_vars/<host>;
 *  6. the extra vars.
 *
 * So group_vars/all beats what any group sets in the inventory file, even a
 * child group (Ansible's list: "inventory file or script group vars" <
 * "inventory group_vars/all" < "inventory group_vars/*" < "inventory file or
 * script host vars" < "inventory host_vars/*" < extra vars).
 *
 * Within one step, a later source replaces an earlier one key by key: later
 * `vars:` sections and host entries (in file order, then inventory order), and
 * in steps 2, 3 and 5, the vars files beside each inventory file in turn (all
 * the groups' files beside the first inventory, then all beside the second:
 * Ansible loads vars files source by source, so the second inventory's
 * group_vars/parent beats the first one's group_vars/child). The files of one
 * group_vars/<group>/ directory apply in lexical order.
 *
 * `groups` are all the host's groups, `all` included, in merge order;
 * `hostVarsFiles` holds the host's vars files beside each inventory file in turn.
 */
export function hostLayers(
  groups: readonly string[],
  sources: GroupSources,
  inventoryVars: readonly VarLayer[],
  hostVarsFiles: readonly (readonly VarLayer[])[],
  extraVars: VarLayer,
): VarLayer[] {
  const otherGroups = groups.filter((group) => group !== 'all');
  return [
    ...groups.flatMap((group) => sources.inventory.get(group)!),
    ...sources.files.flatMap((files) => files.get('all')!),
    ...sources.files.flatMap((files) => otherGroups.flatMap((group) => files.get(group)!)),
    ...inventoryVars,
    ...hostVarsFiles.flat(),
    extraVars,
  ];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

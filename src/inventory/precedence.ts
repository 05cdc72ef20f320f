import type { InventoryDraft } from './draft.js';
import type { GroupGraph } from './graph.js';
import { mergeLayers, type Located, type VarLayer } from './merge.js';
import { expectValue, GROUP_PRIORITY } from './schema.js';

/** Variables of every group (inventory `vars:` first, then its group_vars/ files). */
export function groupVars(
  draft: InventoryDraft,
  groupVarsFiles: ReadonlyMap<string, VarLayer[]>,
): Map<string, Map<string, Located>> {
  return new Map(
    [...draft.groups.values()].map((group) => [
      group.name,
      mergeLayers([...group.vars, ...groupVarsFiles.get(group.name)!]),
    ]),
  );
}

/**
 * Ansible's merge order of groups: parents before children (depth), then
 * `ansible_group_priority` (default 1), then name. `all` (depth 0) comes first.
 * A priority that is not an integer is a ParseError.
 */
export function groupMergeOrder(
  graph: GroupGraph,
  vars: ReadonlyMap<string, VarLayer>,
): (a: string, b: string) => number {
  const priorities = new Map(
    [...vars].map(([group, groupVars]) => {
      const located = groupVars.get('ansible_group_priority');
      return [group, located ? expectValue(GROUP_PRIORITY, located.value, located.origin) : 1];
    }),
  );
  const depth = (group: string) => graph.depths.get(group)!;
  const priority = (group: string) => priorities.get(group)!;
  return (a, b) => depth(a) - depth(b) || priority(a) - priority(b) || compare(a, b);
}

/**
 * A host's variables, lowest precedence first: its groups' variables in merge
 * order (so `all` and group_vars/all first), its inventory variables, its
 * host_vars/ files, then the extra vars.
 *
 * Each group's group_vars/ files directly follow its inventory vars. Ansible's
 * default VARIABLE_PRECEDENCE differs there: it applies the inventory vars of
 * every group before any group_vars/ file (so group_vars/all beats a child
 * group's inventory vars).
 */
export function hostLayers(
  groups: readonly string[],
  vars: ReadonlyMap<string, VarLayer>,
  inventoryVars: readonly VarLayer[],
  hostVarsFiles: readonly VarLayer[],
  extraVars: VarLayer,
): VarLayer[] {
  return [...groups.map((group) => vars.get(group)!), ...inventoryVars, ...hostVarsFiles, extraVars];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

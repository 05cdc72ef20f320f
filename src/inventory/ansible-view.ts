import type { Inventory, Vars } from './types.js';
import { rawVars } from './lazy-vars.js';

/** One group as `ansible-inventory --list` shows it: direct hosts and direct children, empty lists left out. */
export interface ListedGroup {
  hosts?: string[];
  children?: string[];
}

/** `ansible-inventory --list`'s document: every group reachable from `all`, and `_meta.hostvars`. */
export type InventoryList = Record<string, ListedGroup | { hostvars: Record<string, Vars> }>;

/**
 * The inventory in `ansible-inventory --list`'s shape: each group reachable
 * from `all` with its direct hosts (none shown for `all`) and child groups, in
 * the order they were added; `_meta.hostvars` holds the merged variables of
 * every host that has any. With `selected`, only those hosts are shown.
 * Secrets stay Secret instances: JSON.stringify prints them masked.
 */
export function inventoryList(inventory: Inventory, selected?: ReadonlySet<string>): InventoryList {
  const shown = (host: string) => !selected || selected.has(host);
  const result: Record<string, ListedGroup> = {};
  const seen = new Set<string>();
  const add = (name: string) => {
    const group = inventory.groups.get(name)!;
    const entry: ListedGroup = {};
    const hosts = name === 'all' ? [] : group.ownHosts.filter(shown);
    if (hosts.length > 0) entry.hosts = hosts;
    if (group.children.length > 0) entry.children = [...group.children];
    if (Object.keys(entry).length > 0) result[name] = entry;
    for (const child of group.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      add(child);
    }
  };
  add('all');
  const hostvars: Record<string, Vars> = {};
  for (const host of inventory.hosts.values()) {
    // Templates unrendered, as ansible-inventory prints them.
    if (shown(host.name) && Object.keys(host.vars).length > 0) hostvars[host.name] = rawVars(host.vars);
  }
  return { ...result, _meta: { hostvars } };
}

/**
 * `ansible-inventory --graph [group]`: the group tree from `group`, each
 * group's children then its direct hosts (none listed under `all`), a group
 * shown again under each of its parents.
 */
export function inventoryGraph(inventory: Inventory, group: string, selected?: ReadonlySet<string>): string {
  const lines: string[] = [];
  const line = (text: string, depth: number) => lines.push(depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`);
  const walk = (name: string, depth: number) => {
    const { children, ownHosts } = inventory.groups.get(name)!;
    line(`@${name}:`, depth);
    for (const child of children) walk(child, depth + 1);
    if (name === 'all') return;
    for (const host of ownHosts) if (!selected || selected.has(host)) line(host, depth + 1);
  };
  walk(group, 0);
  return lines.join('\n');
}

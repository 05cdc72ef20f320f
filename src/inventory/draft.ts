import type { VarLayer } from './merge.js';
import type { Origin } from './position.js';

/** A group as written in the inventory files, before vars files and precedence. */
export interface GroupDraft {
  readonly name: string;
  /** Direct children, each with where it was written (undefined: implicit child of `all`). */
  readonly children: Map<string, Origin | undefined>;
  /** Hosts listed directly under this group's `hosts:`. */
  readonly hosts: Set<string>;
  /** Each `vars:` section of the group, in file order. */
  readonly vars: VarLayer[];
}

export interface InventoryDraft {
  /** Groups in order of first appearance, `all` and `ungrouped` first. */
  readonly groups: Map<string, GroupDraft>;
  /** Hosts in inventory order, each with its variable sections from the inventory files. */
  readonly hosts: Map<string, VarLayer[]>;
}

export function newDraft(): InventoryDraft {
  const draft: InventoryDraft = { groups: new Map(), hosts: new Map() };
  // As Ansible's InventoryData: `ungrouped` is the first child of `all`.
  draftGroup(draft, 'all').children.set('ungrouped', undefined);
  draftGroup(draft, 'ungrouped');
  return draft;
}

/** The draft of group `name`, created on first use. */
export function draftGroup(draft: InventoryDraft, name: string): GroupDraft {
  const existing = draft.groups.get(name);
  if (existing) return existing;
  const group: GroupDraft = { name, children: new Map(), hosts: new Set(), vars: [] };
  draft.groups.set(name, group);
  return group;
}

/** The variable sections of host `name`, created on first use. */
export function draftHost(draft: InventoryDraft, name: string): VarLayer[] {
  const existing = draft.hosts.get(name);
  if (existing) return existing;
  const layers: VarLayer[] = [];
  draft.hosts.set(name, layers);
  return layers;
}

import type { ConnectionSpec } from '../connection/types.js';

export type Vars = Record<string, unknown>;

export interface Host {
  /** Inventory name (as written under `hosts:`). */
  readonly name: string;
  /** Fully merged variables with Ansible precedence (extra vars win). */
  readonly vars: Vars;
  /** Every group the host is in, including `all` and ancestor groups, in Ansible's merge order. */
  readonly groups: readonly string[];
  readonly connection: ConnectionSpec;
  /**
   * Where the variable at `path` (its name, then keys and list indexes inside
   * it) was written: "inventory/home.yaml:14:9", "extra vars"; the deepest
   * part of the path found; undefined when unknown (hosts made in code).
   */
  readonly origin?: (path: readonly PropertyKey[]) => string | undefined;
}

export interface Group {
  readonly name: string;
  /** Direct child group names. */
  readonly children: readonly string[];
  /** Hosts in this group or any of its descendants, in inventory order. */
  readonly hosts: readonly string[];
  /** Hosts written directly in this group, in the order they were added (Ansible's `group.hosts`). */
  readonly ownHosts: readonly string[];
  /** The group's own merged vars (inventory + group_vars/). */
  readonly vars: Vars;
}

export interface Inventory {
  /** The files the inventory was read from (for messages). */
  readonly sources: readonly string[];
  /** All hosts in inventory order. */
  readonly hosts: ReadonlyMap<string, Host>;
  readonly groups: ReadonlyMap<string, Group>;
  /** Hosts matching an Ansible host pattern, in inventory order. Throws UserError for bad patterns. */
  select(pattern: string): Host[];
  /** Where a variable of a host came from: "inventory/home.yaml:12:7" (for messages), if known. */
  origin(host: string, key: string): string | undefined;
}

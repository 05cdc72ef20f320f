import type { Host, Inventory } from './types.js';

/** The name Ansible gives the controller when the inventory does not define it. */
export const LOCALHOST = 'localhost';

/**
 * The inventory with Ansible's implicit `localhost` when it defines none: the
 * controller, connected to locally (`ansible_connection: local`), with the
 * `all` group's vars. As in Ansible it belongs to no group, so `all` and
 * other patterns do not match it; only its name does.
 */
export function withImplicitLocalhost(inventory: Inventory): Inventory {
  if (inventory.hosts.has(LOCALHOST)) return inventory;
  const host: Host = {
    name: LOCALHOST,
    vars: { ...(inventory.groups.get('all')?.vars ?? {}), ansible_connection: 'local' },
    groups: [],
    connection: { kind: 'local', address: LOCALHOST, port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 10_000 },
  };
  const hosts = new Map([...inventory.hosts, [LOCALHOST, host]]);
  return {
    sources: inventory.sources,
    hosts,
    groups: inventory.groups,
    select: (pattern) => (pattern === LOCALHOST ? [host] : inventory.select(pattern)),
    origin: (name, key) => (name === LOCALHOST ? undefined : inventory.origin(name, key)),
  };
}

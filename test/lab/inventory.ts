import { stringify } from 'yaml';
import { secretTag } from '../../src/inventory/yaml.js';

export interface InventoryHost {
  name: string;
  ip: string;
  groups: string[];
  vars?: Record<string, unknown>;
}

export interface InventoryOptions {
  user: 'lab' | 'root';
  keyPath: string;
  knownHostsPath: string;
}

/**
 * An Ansible YAML inventory for the lab: every host under each of its groups
 * (under `ungrouped` if it has none), with how to reach it over SSH. The
 * `ansible_ssh_common_args` make ansible-core verify host keys against the
 * lab's known_hosts too, so both engines can run on the same file.
 */
export function inventoryYaml(hosts: InventoryHost[], options: InventoryOptions): string {
  const children: Record<string, { hosts: Record<string, Record<string, unknown>> }> = {};
  for (const host of hosts) {
    const vars = {
      ansible_host: host.ip,
      ansible_user: options.user,
      ...(options.user === 'lab' ? { ansible_become: true } : {}),
      ansible_ssh_private_key_file: options.keyPath,
      known_hosts_file: options.knownHostsPath,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${options.knownHostsPath} -o StrictHostKeyChecking=yes`,
      ...host.vars,
    };
    for (const group of host.groups.length > 0 ? host.groups : ['ungrouped']) {
      children[group] ??= { hosts: {} };
      children[group].hosts[host.name] = vars;
    }
  }
  // YAML 1.1 as the loader reads it (like Ansible): strings such as 52:54:00:00:50:02 get quoted
  return stringify({ all: { children } }, { aliasDuplicateObjects: false, customTags: [secretTag], version: '1.1' });
}

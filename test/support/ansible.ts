import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findOnPath } from './on-path.js';

/** `ansible-inventory` on PATH, if any (ansible-core; CI installs it). */
export const ansibleInventoryBin = findOnPath('ansible-inventory');

/** `ansible` on PATH, if any. */
export const ansibleBin = findOnPath('ansible');

/** The Python that runs ansible-core (from ansible-inventory's #! line), to call its InventoryManager directly. */
export function ansiblePython(): string | undefined {
  if (!ansibleInventoryBin) return undefined;
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(ansibleInventoryBin, 'utf8').split('\n', 1)[0]);
  if (!shebang) return undefined;
  // "#!/usr/bin/env python3" names the interpreter in its argument.
  return path.basename(shebang[1]) === 'env' && shebang[2] ? findOnPath(shebang[2]) : shebang[1];
}

/**
 * The environment for running Ansible's tools on test inventories, with `scratch` as
 * its home: an empty ansible.cfg (written by the caller at scratch/ansible.cfg), no
 * ANSIBLE_* variable from the caller, and Ansible's defaults spelled out for what
 * decides precedence. Only the `plugins` inventory plugins are enabled, and an
 * inventory Ansible cannot read fails instead of comparing nothing.
 */
export function ansibleEnvironment(scratch: string, plugins: string): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANSIBLE_'))),
    ANSIBLE_CONFIG: path.join(scratch, 'ansible.cfg'),
    ANSIBLE_HOME: path.join(scratch, '.ansible'),
    ANSIBLE_LOCAL_TEMP: path.join(scratch, '.ansible', 'tmp'),
    ANSIBLE_HASH_BEHAVIOUR: 'replace',
    ANSIBLE_PRECEDENCE:
      'all_inventory,groups_inventory,all_plugins_inventory,all_plugins_play,groups_plugins_inventory,groups_plugins_play',
    ANSIBLE_VARS_ENABLED: 'host_group_vars',
    ANSIBLE_INVENTORY_ENABLED: plugins,
    ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
    ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'true',
    ANSIBLE_NOCOLOR: 'true',
  };
}

import type { Host, Inventory } from '../inventory/types.js';
import { parseVars } from '../inventory/vars-check.js';
import type { RoleUse } from './definitions.js';
import { deepMerge } from './merge.js';

/** The role's typed vars for a host: derived defaults < inventory vars < play params. */
export function resolveRoleVars(use: RoleUse, host: Host, inventory: Inventory): unknown {
  const given = deepMerge(host.vars[use.role.varsKey] ?? {}, use.params);
  const input = deepMerge(use.role.defaults?.(host, inventory, given) ?? {}, given);
  return parseVars(use.role.vars, input, host, use.role.varsKey, `invalid vars for role ${use.role.name}`);
}

import type { z } from 'zod';
import { ParseError } from '../errors.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { RoleUse } from './definitions.js';
import { deepMerge } from './merge.js';

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function describeIssue(host: Host, inventory: Inventory, use: RoleUse, input: unknown, issue: z.core.$ZodIssue): string {
  const key = use.role.varsKey;
  const path = [key, ...issue.path.map(String)].join('.');
  const got = valueAt(input, issue.path);
  const gotText = got === undefined ? '' : `, got ${JSON.stringify(got)}`;
  const origin = inventory.origin(host.name, key);
  return `host ${host.name}: ${path}: ${issue.message}${gotText}${origin ? ` (set at ${origin})` : ''}`;
}

/** The role's typed vars for a host: derived defaults < inventory vars < play params. */
export function resolveRoleVars(use: RoleUse, host: Host, inventory: Inventory): unknown {
  const input = deepMerge(use.role.defaults?.(host, inventory) ?? {}, host.vars[use.role.varsKey] ?? {}, use.params);
  const parsed = use.role.vars.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ParseError(
    `invalid vars for role ${use.role.name}:\n` +
      parsed.error.issues.map((i) => `  ${describeIssue(host, inventory, use, input, i)}`).join('\n'),
  );
}

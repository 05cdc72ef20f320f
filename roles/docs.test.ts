import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rolesWithDocs, varsTable, withTable } from '../scripts/role-docs-lib.js';

describe('role READMEs', async () => {
  const roles = await rolesWithDocs();
  it.each(roles.map((r) => [r.name, r] as const))('%s: the vars table matches the schema (npm run docs:roles)', (_name, { readme, role }) => {
    const text = readFileSync(readme, 'utf8');
    const next = withTable(text, varsTable(role));
    expect(next, `${readme} has no <!-- vars:start --> / <!-- vars:end --> markers`).toBeDefined();
    expect(text).toBe(next);
  });
});

/**
 * npm run docs:roles — writes each role's vars table into its README, from the
 * role's zod schema (type, default, description), between the markers
 * <!-- vars:start --> and <!-- vars:end -->. The test in roles/docs.test.ts
 * fails when a README's table is out of date.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rolesWithDocs, varsTable, withTable } from './role-docs-lib.js';

for (const { name, readme, role } of await rolesWithDocs()) {
  if (!existsSync(readme)) {
    console.log(`${name}: no README.md, skipped`);
    continue;
  }
  const text = readFileSync(readme, 'utf8');
  const next = withTable(text, varsTable(role));
  if (next === undefined) {
    console.log(`${name}: no <!-- vars:start --> / <!-- vars:end --> markers in ${readme}, skipped`);
  } else if (next !== text) {
    writeFileSync(readme, next);
    console.log(`${name}: vars table updated`);
  } else {
    console.log(`${name}: vars table up to date`);
  }
}

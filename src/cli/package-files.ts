import { readFileSync } from 'node:fs';

/**
 * Where the package's own files are. The same module runs from a clone
 * (src/cli/package-files.ts through tsx) and from the installed package
 * (dist/src/cli/package-files.js, built by scripts/build.ts).
 */
const compiled = import.meta.url.endsWith('.js');

/** The folder holding package.json. */
export const PACKAGE_ROOT = new URL(compiled ? '../../../' : '../../', import.meta.url);

/** The site playbook that ships with the package (`labwright plan` without a playbook). */
export const PACKAGE_SITE_PLAYBOOK = new URL(compiled ? '../../playbooks/site.js' : '../../playbooks/site.ts', import.meta.url);

/** The folder `labwright init` copies playbooks/site.ts and inventory/home.yaml from (dist/scaffold/ when built). */
export const SCAFFOLD_SOURCES = compiled ? new URL('../../scaffold/', import.meta.url) : PACKAGE_ROOT;

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** labwright's package.json. */
export function packageJson(): PackageJson {
  return JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as PackageJson;
}

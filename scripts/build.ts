/**
 * `npm run build` (run by `npm pack`/`npm publish` through prepack): compiles
 * src/, roles/ and the site playbook to dist/ (JavaScript + .d.ts, same
 * layout, so `new URL('./templates/x.hbs', import.meta.url)` finds its file),
 * copies the files that are not TypeScript beside them (templates, role
 * READMEs) and the sources `labwright init` scaffolds from into dist/scaffold/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');

/** Files that ship beside the compiled modules: templates anywhere in src/ and roles/, the roles' READMEs. */
const isAsset = (path: string) => path.endsWith('.hbs') || /^roles\/[^/]+\/README\.md$/.test(path);

/** What `labwright init` copies into a new project (its site playbook and example inventory). */
const SCAFFOLD_FILES = ['playbooks/site.ts', 'inventory/home.yaml'];

function copy(from: string, to: string) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
const sources = ['src', 'roles'].flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((path) => `${dir}/${path}`));
for (const file of sources.filter(isAsset)) copy(join(root, file), join(dist, file));
for (const file of SCAFFOLD_FILES) copy(join(root, file), join(dist, 'scaffold', file));

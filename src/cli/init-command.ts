import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OptionsError } from '../errors.js';
import type { Io } from './main.js';
import { packageJson, SCAFFOLD_SOURCES } from './package-files.js';

export const INIT_USAGE = `usage: labwright init [DIR] [--package SPEC]

Creates a labwright project in DIR (default: the current folder), which must be new or empty:
  package.json          depends on labwright (this version; --package for another), typescript, @types/node
  tsconfig.json         strict, module NodeNext
  playbooks/site.ts     labwright's roles composed by group, imported from labwright/roles/…
  inventory/home.yaml   the example inventory: a small home cluster on one LAN
  .gitignore

      --package SPEC       the labwright dependency: a version or range, a tarball or folder path, or any npm spec
  -h, --help               this text

then: cd DIR && npm i && npx labwright run playbooks/site.ts -i inventory/home.yaml --plan
exit codes: 0 ok, 1 error, 5 bad options (DIR not empty)`;

const PLAN_COMMAND = 'labwright run playbooks/site.ts -i inventory/home.yaml --plan';

/** The flags of `labwright init` (parser and shell completion). */
export const INIT_FLAGS = { package: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** `labwright init [DIR] [--package SPEC]` (see INIT_USAGE). */
export async function initCommand(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: INIT_FLAGS, allowPositionals: true });
  } catch (error) {
    throw new OptionsError((error as Error).message, 'see labwright init --help');
  }
  if (parsed.values.help) {
    io.out(INIT_USAGE + '\n');
    return 0;
  }
  if (parsed.positionals.length > 1) throw new OptionsError(`labwright init takes one folder, got ${parsed.positionals.join(', ')}`);
  const shown = parsed.positionals[0] ?? '.';
  const dir = resolve(shown);
  checkEmpty(dir, shown);
  const files = scaffold(dir, parsed.values.package);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text, { flag: 'wx' });
  }
  const cd = shown === '.' ? '' : `cd ${shown} && `;
  io.out(`created a labwright project in ${dir}:\n${Object.keys(files).map((path) => `  ${path}\n`).join('')}\nnext: ${cd}npm i && npx ${PLAN_COMMAND}\n`);
  return 0;
}

/** DIR is new, or an empty folder. */
function checkEmpty(dir: string, shown: string) {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OptionsError(`${shown} is a file: labwright init writes into a new or empty folder`);
  const entries = readdirSync(dir);
  if (entries.length > 0) {
    const listed = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new OptionsError(`${shown} is not empty (${listed}): labwright init writes into a new or empty folder`, 'give a new folder name: labwright init mylab');
  }
}

/** The project's files, path → text. */
export function scaffold(dir: string, packageSpec?: string): Record<string, string> {
  const ours = packageJson();
  const project = {
    name: npmName(basename(dir)),
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      plan: PLAN_COMMAND,
      typecheck: 'tsc',
      test: `tsc && ${PLAN_COMMAND}`,
    },
    dependencies: { labwright: dependencySpec(dir, packageSpec ?? `^${ours.version}`) },
    devDependencies: { '@types/node': ours.devDependencies['@types/node'], typescript: ours.devDependencies.typescript },
  };
  const tsconfig = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    include: ['**/*.ts'],
  };
  return {
    'package.json': json(project),
    'tsconfig.json': json(tsconfig),
    'playbooks/site.ts': sitePlaybook(readSource('playbooks/site.ts')),
    'inventory/home.yaml': readSource('inventory/home.yaml'),
    '.gitignore': 'node_modules/\n*.log\n',
  };
}

/**
 * labwright's own site playbook with its imports made a user's: `../src/index.js`
 * becomes `labwright`, `../roles/NAME/index.js` becomes `labwright/roles/NAME`.
 */
export function sitePlaybook(source: string): string {
  const text = source.replace(/from '\.\.\/src\/index\.js'/g, "from 'labwright'").replace(/from '\.\.\/roles\/([\w-]+)\/index\.js'/g, "from 'labwright/roles/$1'");
  const left = /from '\.[^']*'/.exec(text);
  if (left) throw new Error(`the site playbook imports ${left[0].slice(5)}, which a project outside labwright cannot: export it from src/index.ts or a role`);
  return text;
}

function readSource(path: string): string {
  return readFileSync(fileURLToPath(new URL(path, SCAFFOLD_SOURCES)), 'utf8');
}

/** A tarball or folder that exists is a `file:` dependency relative to the project; anything else is npm's own spec. */
function dependencySpec(dir: string, spec: string): string {
  if (!existsSync(spec)) return spec;
  const path = relative(dir, resolve(spec)).split(sep).join('/');
  return `file:${path.startsWith('.') ? path : `./${path}`}`;
}

/** A folder name as an npm package name (lower case; other characters than a-z 0-9 - . _ become -). */
function npmName(folder: string): string {
  return folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'labwright-project';
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/**
 * The engine, roles and playbooks compiled to JavaScript as the package ships
 * them (tsconfig.build.json), plus the benchmark's playbook, into a temporary
 * folder whose node_modules is the repository's: what a playbook importing
 * `labwright` from npm runs. With the package's bin/labwright.js, which finds
 * the compiled CLI under dist/ (a link to the folder itself), as installed.
 * No template is copied (the benchmark's runs render none).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../', import.meta.url));

export interface CompiledTree {
  /** The compiled file of a repository source: `bench/playbook.ts` → `<dir>/bench/playbook.js`. */
  path(source: string): string;
  remove(): void;
}

export async function compileTree(): Promise<CompiledTree> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-build-'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(repo, 'tsconfig.build.json'),
      compilerOptions: { rootDir: repo, outDir: dir, declaration: false },
      include: ['src', 'roles', 'playbooks/site.ts', 'bench/playbook.ts'].map((p) => join(repo, p)),
    }),
  );
  // a type error elsewhere in the tree still emits JavaScript: the files are checked below, not tsc's exit code
  await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', config]).catch(() => undefined);
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(repo, 'bin/labwright.js'), join(dir, 'bin/labwright.js'));
  symlinkSync(dir, join(dir, 'dist'), 'dir');
  const tree: CompiledTree = {
    path: (source) => join(dir, source.replace(/\.ts$/, '.js')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const source of ['playbooks/site.ts', 'bench/playbook.ts', 'src/cli/labwright.ts']) {
    if (!existsSync(tree.path(source))) throw new Error(`compiling for the benchmark produced no ${tree.path(source)}`);
  }
  return tree;
}

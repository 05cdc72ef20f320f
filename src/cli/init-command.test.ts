import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { runLabwright } from './labwright.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ours = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const repoSite = readFileSync(join(repo, 'playbooks/site.ts'), 'utf8');

async function init(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(['init', ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'lw-init-'));

describe('labwright init', () => {
  it('scaffolds package.json, tsconfig.json, playbooks/site.ts, inventory/home.yaml and .gitignore in a new folder', async () => {
    const dir = join(tmp(), 'My Lab');
    const { code, stdout } = await init(dir);
    expect(code).toBe(0);
    expect(readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()).toEqual(['.gitignore', 'inventory', 'inventory/home.yaml', 'package.json', 'playbooks', 'playbooks/site.ts', 'tsconfig.json']);
    expect(stdout).toContain(`next: cd ${dir} && npm i && npx labwright run playbooks/site.ts -i inventory/home.yaml --plan`);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'my-lab',
      type: 'module',
      private: true,
      dependencies: { labwright: `^${ours.version}` },
      devDependencies: { typescript: ours.devDependencies.typescript, '@types/node': ours.devDependencies['@types/node'] },
    });
    expect(pkg.scripts.plan).toBe('labwright run playbooks/site.ts -i inventory/home.yaml --plan');
    expect(JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).compilerOptions).toMatchObject({ strict: true, module: 'NodeNext', moduleResolution: 'NodeNext' });
    expect(readFileSync(join(dir, 'inventory/home.yaml'), 'utf8')).toBe(readFileSync(join(repo, 'inventory/home.yaml'), 'utf8'));
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('node_modules/');
  });

  it("playbooks/site.ts is this repo's site playbook importing from labwright and labwright/roles/…", async () => {
    const dir = join(tmp(), 'lab');
    await init(dir);
    const site = readFileSync(join(dir, 'playbooks/site.ts'), 'utf8');
    expect(site).toContain("import { isMain, play, runPlaybook } from 'labwright';");
    expect(site).toContain("import { dnsmasq } from 'labwright/roles/dnsmasq';");
    expect(site).toContain("import { kubeadmInit } from 'labwright/roles/kubeadm-init';");
    expect(site).not.toMatch(/from '\./);
    const body = (text: string) => text.split('\n').filter((line) => !line.startsWith('import '));
    expect(body(site)).toEqual(body(repoSite));
    for (const [, role] of repoSite.matchAll(/from '\.\.\/roles\/([\w-]+)\/index\.js'/g)) expect(ours.exports[`./roles/${role}`]).toBeDefined();
  });

  it('--package: a tarball path becomes a file: dependency relative to the project; a version or other spec is kept', async () => {
    const base = tmp();
    writeFileSync(join(base, 'labwright-9.9.9.tgz'), '');
    const byPath = join(base, 'a');
    expect((await init(byPath, '--package', join(base, 'labwright-9.9.9.tgz'))).code).toBe(0);
    expect(JSON.parse(readFileSync(join(byPath, 'package.json'), 'utf8')).dependencies.labwright).toBe('file:../labwright-9.9.9.tgz');
    const byVersion = join(base, 'b');
    expect((await init(byVersion, '--package', '0.2.0')).code).toBe(0);
    expect(JSON.parse(readFileSync(join(byVersion, 'package.json'), 'utf8')).dependencies.labwright).toBe('0.2.0');
  });

  it('refuses a folder that is not empty, or a file, and writes nothing (exit 5)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(await init(dir)).toEqual({ code: 5, stdout: '', stderr: `ERROR: ${dir} is not empty (notes.txt): labwright init writes into a new or empty folder\n(give a new folder name: labwright init mylab)\n` });
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect((await init(join(dir, 'notes.txt'))).code).toBe(5);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await init(empty)).code).toBe(0);
    expect(existsSync(join(empty, 'playbooks/site.ts'))).toBe(true);
  });

  it('--help; two folders or an unknown flag are bad options', async () => {
    const help = await init('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: labwright init \[DIR\] \[--package SPEC\]\n/);
    expect(await init('a', 'b')).toMatchObject({ code: 5, stderr: expect.stringContaining('labwright init takes one folder, got a, b') });
    expect((await init('a', '--force')).code).toBe(5);
  });
});

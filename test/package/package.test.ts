/**
 * The published package, as a user gets it: `npm pack` (which builds dist/
 * through prepack), the tarball installed into a new project with tsx and
 * typescript, a playbook there importing `labwright` and two roles,
 * typechecked (strict, nodenext) and run with --plan and --list-hosts; then
 * the flow: `npx labwright init mylab --package TARBALL`, `npm i`,
 * `npx labwright run playbooks/site.ts -i inventory/home.yaml --plan`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeYoungGenerationProbe } from '../support/young-generation.js';
import { INSTALL_FLAGS, NPM_MISSING, run, runOk } from './npm.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ours = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const roles = readdirSync(join(repo, 'roles')).filter((name) => existsSync(join(repo, 'roles', name, 'index.ts')));

const PLAYBOOK = `import { isMain, play, runPlaybook, type PlayDef } from 'labwright';
import { base } from 'labwright/roles/base';
import { dnsmasq } from 'labwright/roles/dnsmasq';

export const plays: PlayDef[] = [
  play({ name: 'base', hosts: 'all', roles: [base] }),
  play({ name: 'DHCP and DNS', hosts: 'dhcp_servers', roles: [dnsmasq] }),
];

if (isMain(import.meta.url)) await runPlaybook(plays);
`;

/** Types are real, not any: each misuse must be an error, else @ts-expect-error itself fails the typecheck. */
const MISUSE = `import { play } from 'labwright';
import { dnsmasq } from 'labwright/roles/dnsmasq';

// @ts-expect-error a play's hosts is a pattern string
play({ name: 'x', hosts: 3, roles: [dnsmasq] });
// @ts-expect-error roles are Role values, not names
play({ name: 'x', hosts: 'all', roles: ['dnsmasq'] });
`;

const INVENTORY = `all:
  vars:
    lan: { subnet: 192.168.50.0/24, gateway: 192.168.50.1, domain: home.lab }
  children:
    dhcp_servers:
      hosts:
        gw1: { ansible_host: 192.168.50.2, mac: "52:54:00:00:50:02" }
    workers:
      hosts:
        w1: { ansible_host: 192.168.50.21, mac: "52:54:00:00:50:21" }
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
  include: ['playbooks'],
};

describe.skipIf(NPM_MISSING)(NPM_MISSING ? 'the npm package (SKIPPED: npm is not on PATH; this test packs and installs with npm)' : 'the npm package', () => {
  let work: string;
  let tarball: string;
  let packed: string[];
  let project: string;
  const bin = (name: string) => join(project, 'node_modules', '.bin', name);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lw-package-'));
    const pack = await runOk('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', work], repo);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
    tarball = join(work, info.filename);
    packed = info.files.map((file: { path: string }) => file.path);
    project = join(work, 'project');
    mkdirSync(join(project, 'playbooks'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-homelab', private: true, type: 'module' }));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(project, 'playbooks', 'gateway.ts'), PLAYBOOK);
    writeFileSync(join(project, 'playbooks', 'misuse.ts'), MISUSE);
    writeFileSync(join(project, 'inventory.yaml'), INVENTORY);
    const deps = [tarball, `tsx@${ours.dependencies.tsx}`, `typescript@${ours.devDependencies.typescript}`, `@types/node@${ours.devDependencies['@types/node']}`];
    await runOk('npm', ['install', ...INSTALL_FLAGS, ...deps], project);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds compiled JavaScript with .d.ts, role READMEs and templates; no TypeScript sources, tests or lab', () => {
    expect(packed).toContain('dist/src/index.js');
    expect(packed).toContain('dist/src/index.d.ts');
    for (const role of roles) {
      expect(packed).toContain(`dist/roles/${role}/index.js`);
      expect(packed).toContain(`dist/roles/${role}/index.d.ts`);
      expect(packed).toContain(`dist/roles/${role}/README.md`);
    }
    expect(packed).toContain('dist/roles/haproxy/templates/haproxy.cfg.hbs');
    expect(packed).toContain('dist/src/net/dnsmasq-templates/labwright.conf.hbs');
    expect(packed.filter((path) => /\.test\.|(^|\/)test\/|(^|\/)fixtures\/|lab-support|^src\/|^roles\//.test(path))).toEqual([]);
    expect(packed.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.startsWith('dist/scaffold/'))).toEqual([]);
  });

  it('package.json: ESM, Node >= 20.11, not private, an export (types and code) per role', () => {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/labwright/package.json'), 'utf8'));
    expect(installed).toMatchObject({ name: 'labwright', type: 'module', engines: { node: '>=20.11' } });
    expect(installed.private).toBeUndefined();
    expect(Object.keys(installed.exports).filter((key) => /^\.\/roles\/[^*]+$/.test(key)).sort()).toEqual(roles.map((role) => `./roles/${role}`).sort());
  });

  it('every file a module locates with new URL(…, import.meta.url) is installed beside it', () => {
    const dist = join(project, 'node_modules/labwright/dist');
    const located = readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('.js'))
      .flatMap((path) => [...readFileSync(join(dist, path), 'utf8').matchAll(/new URL\('(\.[^']+)', import\.meta\.url\)/g)].map((m) => fileURLToPath(new URL(m[1], `file://${join(dist, path)}`))));
    expect(located.length).toBeGreaterThan(10);
    expect(located.filter((file) => !existsSync(file))).toEqual([]);
  });

  it('each role imports from labwright/roles/<name> in Node', async () => {
    const script = `for (const r of ${JSON.stringify(roles)}) { const m = await import('labwright/roles/' + r); if (Object.keys(m).length === 0) throw new Error(r + ' exports nothing'); }`;
    await runOk(process.execPath, ['--input-type=module', '-e', script], project);
  });

  it('a playbook importing labwright and two roles typechecks under strict and moduleResolution nodenext (types are real: misuses are errors)', async () => {
    const { code, stdout } = await run(bin('tsc'), ['-p', '.'], project);
    expect(stdout).toBe('');
    expect(code).toBe(0);
  });

  it('the playbook runs with --list-hosts and --plan', async () => {
    const hosts = await runOk(bin('tsx'), ['playbooks/gateway.ts', '-i', 'inventory.yaml', '--list-hosts'], project);
    expect(hosts.stdout).toBe('\nplay "base" (all): 2 host(s)\n    gw1\n    w1\n\nplay "DHCP and DNS" (dhcp_servers): 1 host(s)\n    gw1\n');
    const plan = await runOk(bin('tsx'), ['playbooks/gateway.ts', '-i', 'inventory.yaml', '--plan'], project);
    expect(plan.stdout).toMatch(/192\.168\.50\.100-192\.168\.50\.199 +dhcp +dynamic DHCP range +\[dnsmasq on gw1\]/);
    expect(plan.stdout).toContain('address plan: no conflicts');
  });

  it('the labwright command runs from the installed package (compiled, no TypeScript sources)', async () => {
    const graph = await runOk(bin('labwright'), ['inventory', '-i', 'inventory.yaml', '--graph'], project);
    expect(graph.stdout).toContain('  |--@dhcp_servers:\n  |  |--gw1\n');
    expect(existsSync(join(project, 'node_modules/labwright/src'))).toBe(false);
    expect(await run(bin('labwright'), ['--version'], project)).toEqual({ code: 0, stdout: `labwright ${ours.version}\n`, stderr: '' });
    const help = await runOk(bin('labwright'), ['run', '--help'], project);
    expect(help.stdout).toMatch(/^usage: labwright run PLAYBOOK.ts/);
  });

  it("the labwright command keeps V8's young generation at its initial size for a compiled playbook (npm run bench: ~12 MiB less memory)", async () => {
    const probe = writeYoungGenerationProbe(project, '.mjs');
    const viaBin = await runOk(bin('labwright'), ['run', probe], project);
    expect(viaBin.stderr).toBe('');
    expect(JSON.parse(viaBin.stdout)).toEqual({ kept: 400_000, youngMiB: 2 });
    expect(JSON.parse((await runOk(process.execPath, [probe], project)).stdout).youngMiB).toBeGreaterThan(8);
  });

  it('the issue\'s flow: npx labwright init mylab --package TARBALL, npm i, npx labwright run playbooks/site.ts -i inventory/home.yaml --plan (as the clone prints it); the project typechecks', async () => {
    const created = await runOk('npx', ['labwright', 'init', 'mylab', '--package', tarball], project);
    expect(created.stdout).toContain('next: cd mylab && npm i && npx labwright run playbooks/site.ts -i inventory/home.yaml --plan');
    const mylab = join(project, 'mylab');
    await runOk('npm', ['i', ...INSTALL_FLAGS], mylab);
    const [plan, clone, typecheck] = await Promise.all([
      run('npx', ['labwright', 'run', 'playbooks/site.ts', '-i', 'inventory/home.yaml', '--plan'], mylab),
      run(join(repo, 'node_modules/.bin/tsx'), ['playbooks/site.ts', '-i', 'inventory/home.yaml', '--plan'], repo),
      run('npm', ['run', 'typecheck', '--silent'], mylab),
    ]);
    expect(plan.stderr).toBe(clone.stderr);
    expect(plan).toEqual({ code: 0, stdout: clone.stdout, stderr: clone.stderr });
    expect(plan.stdout).toContain('address plan: no conflicts');
    expect(typecheck).toMatchObject({ code: 0, stdout: '' });
  });

  it("labwright plan without a playbook, outside a project, plans with the package's compiled site playbook", async () => {
    const [plan, clone] = await Promise.all([
      run(bin('labwright'), ['plan', '-i', join(repo, 'inventory/home.yaml')], project),
      run(join(repo, 'node_modules/.bin/tsx'), ['playbooks/site.ts', '-i', 'inventory/home.yaml', '--plan'], repo),
    ]);
    expect(plan).toEqual({ code: 0, stdout: clone.stdout, stderr: clone.stderr });
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { runLabwright } from './labwright.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/labwright.js');
const tsx = join(repo, 'node_modules/.bin/tsx');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command as a child process (run and plan end the process with the playbook's exit code). */
function spawn(command: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: repo }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

const labwrightBin = (...args: string[]) => spawn(process.execPath, [bin, ...args]);

async function inProcess(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright run PLAYBOOK', () => {
  it('prints, writes to stderr and exits as `tsx PLAYBOOK` does: --plan, --list-hosts, a bad option (5), a missing inventory (4)', async () => {
    const cases = [
      ['-i', 'inventory/home.yaml', '--plan'],
      ['-i', 'inventory/home.yaml', '--list-hosts', '-l', 'gateways'],
      ['-i', 'inventory/home.yaml', '--no-such-flag'],
      ['-i', 'inventory/missing.yaml', '--plan'],
    ];
    const ran = await Promise.all(cases.map((flags) => Promise.all([labwrightBin('run', 'playbooks/site.ts', ...flags), spawn(tsx, ['playbooks/site.ts', ...flags])])));
    for (const [viaRun, viaTsx] of ran) expect(viaRun).toEqual(viaTsx);
    expect(ran.map(([viaRun]) => viaRun.code)).toEqual([0, 0, 5, 4]);
    expect(ran[0][0].stdout).toContain('address plan: no conflicts');
    expect(ran[1][0].stdout).toContain('play "DHCP and DNS" (dhcp_servers): 1 host(s)\n    gw1\n');
  });

  it('a playbook that does not load or runs no plays: exit 4 naming the file, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-run-'));
    writeFileSync(join(dir, 'broken.ts'), 'export const plays = [;\n');
    writeFileSync(join(dir, 'quiet.ts'), 'export const plays = [];\n');
    const [broken, quiet] = await Promise.all([labwrightBin('run', join(dir, 'broken.ts')), labwrightBin('run', join(dir, 'quiet.ts'))]);
    expect(broken.code).toBe(4);
    expect(broken.stderr).toContain(`ERROR: ${join(dir, 'broken.ts')}: cannot load the playbook:`);
    expect(quiet).toMatchObject({ code: 4, stdout: '' });
    expect(quiet.stderr).toContain(`${join(dir, 'quiet.ts')} ran no plays`);
    expect(quiet.stderr).toContain('await runPlaybook(plays)');
    for (const { stderr } of [broken, quiet]) expect(stderr).not.toMatch(/unexpected|\n\s+at /);
  });

  it('--help shows the playbook options; no playbook, an option first or a missing file are refused before anything runs', async () => {
    const help = await inProcess('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: labwright run PLAYBOOK.ts -i INVENTORY \[options\]\n/);
    expect(help.stdout).toContain('  -C, --check ');
    expect(help.stdout).toContain('exit codes: 0 ok, 1 error, 2 a task failed, 3 a host was unreachable');
    expect(await inProcess('run')).toMatchObject({ code: 5, stderr: expect.stringContaining('labwright run: which playbook?') });
    expect(await inProcess('run', '-i', 'inventory/home.yaml', 'playbooks/site.ts')).toMatchObject({ code: 5, stderr: expect.stringContaining('the playbook file comes first (got the option -i)') });
    expect(await inProcess('run', 'playbooks/nope.ts', '-i', 'inventory/home.yaml')).toEqual({ code: 4, stdout: '', stderr: 'ERROR: playbooks/nope.ts: no such playbook file\n' });
  });
});

describe('labwright plan', () => {
  it('prints what --plan prints: the site playbook by default, or the one given anywhere among the flags', async () => {
    const [viaTsx, byDefault, given] = await Promise.all([
      spawn(tsx, ['playbooks/site.ts', '-i', 'inventory/home.yaml', '--plan', '-l', 'gateways']),
      labwrightBin('plan', '-i', 'inventory/home.yaml', '-l', 'gateways'),
      labwrightBin('plan', '-i', 'inventory/home.yaml', 'playbooks/site.ts', '-l', 'gateways'),
    ]);
    expect(viaTsx.code).toBe(0);
    expect(viaTsx.stdout).toContain('ADDRESS MAP');
    expect(byDefault).toEqual(viaTsx);
    expect(given).toEqual(viaTsx);
  });

  it('--help; unknown flags and two playbooks are bad options (5)', async () => {
    const help = await inProcess('plan', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: labwright plan -i INVENTORY \[PLAYBOOK.ts\] \[options\]\n/);
    expect(await inProcess('plan', '-i', 'inventory/home.yaml', '--check')).toMatchObject({ code: 5, stderr: expect.stringContaining("Unknown option '--check'") });
    expect(await inProcess('plan', '-i', 'x.yaml', 'a.ts', 'b.ts')).toMatchObject({ code: 5, stderr: expect.stringContaining('labwright plan takes one playbook, got a.ts, b.ts') });
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PLAYBOOK = fileURLToPath(new URL('./fixtures/live-playbook.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The live renderer on a real terminal: the playbook runs under `script`,
 * which gives it a pseudo-terminal, so stdout.isTTY is true and listr2 draws.
 */
describe('live output on a terminal', () => {
  it('draws each play with its counts, prints its changes, then the recap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-live-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, `all:\n  vars: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n  hosts: { local1: }\n`);
    const target = join(dir, 'out.txt');
    const command = `${join(REPO, 'node_modules/.bin/tsx')} ${PLAYBOOK} -i ${inventory} --diff`;
    // a pseudo-terminal has no size until told: 120 columns, as a terminal window would have
    const { stdout } = await run('script', ['-qec', `stty cols 120 rows 40; ${command}`, '/dev/null'], { cwd: REPO, env: { ...process.env, LW_LIVE_TARGET: target, TERM: 'xterm' } });
    const screen = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).toMatch(/✔ PLAY \[first\] on 1 host\(s\): ok=0 changed=1 failed=0 skipped=0/);
    expect(screen).toMatch(/✔ PLAY \[second\] on 1 host\(s\): ok=1 changed=0 failed=0 skipped=0/);
    expect(screen).toContain(`+++ ${target} (after)`);
    expect(screen.indexOf('PLAY [second]')).toBeLessThan(screen.indexOf('PLAY RECAP'));
    expect(screen).toMatch(/local1\s+: ok=1\s+changed=1/);
    expect(readFileSync(target, 'utf8')).toBe('live\n');
  });
});

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { demoService } from './demo-role.js';
import { captureIo } from '../support/io.js';
import { shOn, shResult } from '../support/lab-shell.js';

/**
 * The engine's contract over real SSH on lab containers: check mode changes
 * nothing, idempotence, handlers, pending handlers after a failure,
 * unreachable hosts, failure messages, and a write killed mid-transfer.
 */
let lab: Lab;
const plays = [play({ name: 'demo', hosts: 'servers', roles: [demoService] })];

/** A fingerprint of everything a run could change: files under /etc, /srv, /var/lib/labwright, /var/log and unit states. */
const snapshot = (host: LabHost) =>
  shOn(
    host,
    'find /etc /srv /var/lib/labwright /var/log/lw-demo-starts -xdev \\( -type f -o -type l \\) 2>/dev/null | sort | xargs -d "\\n" sha256sum 2>/dev/null; ' +
      'find /etc /srv -xdev -printf "%p %m %u %g\\n" | sort; systemctl list-units --all --plain --no-legend --no-pager; systemctl list-unit-files --no-legend --no-pager',
  );

const starts = async (host: LabHost) => Number((await shOn(host, 'wc -l < /var/log/lw-demo-starts 2>/dev/null || echo 0')).trim());

beforeAll(async () => {
  lab = await startLab({ name: 'engine', hosts: ['h1', 'h2', 'h3'].map((name) => ({ name, groups: ['servers'] })) });
});

afterAll(async () => {
  await lab?.stop();
});

describe('engine over SSH on lab hosts', () => {
  it('--check --diff shows the full plan and changes nothing on any host', async () => {
    const before = await Promise.all(lab.hosts.map(snapshot));
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '--check', '--diff'], io)).toBe(0);
    expect(io.stdout).toContain('would change: [h1, h2, h3] - create /etc/lw-demo/app.conf (0644)');
    expect(io.stdout).toContain('+value=v1');
    expect(io.stdout).toContain('start lw-demo (unit not installed yet)');
    expect(io.stdout).toContain('RUNNING HANDLER [demo : restart demo]');
    expect(await Promise.all(lab.hosts.map(snapshot))).toEqual(before);
  });

  it('applies; the handler runs once for two notifying changes; the second run changes nothing and runs no handler', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath], io)).toBe(0);
    for (const h of lab.hosts) {
      expect((await shOn(h, 'systemctl is-active lw-demo')).trim()).toBe('active');
      expect(await starts(h)).toBe(2); // started by the service task, restarted once by the handler
    }
    const again = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath], again)).toBe(0);
    expect(again.stdout).toMatch(/h1\s+: ok=4\s+changed=0\s+unreachable=0\s+failed=0/);
    expect(again.stdout).not.toContain('RUNNING HANDLER');
    for (const h of lab.hosts) expect(await starts(h)).toBe(2);
  });

  it('a config change restarts exactly the hosts it changed', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '-e', '{"demo": {"content": "v2"}}', '--limit', 'h1'], io)).toBe(0);
    expect(await starts(lab.host('h1'))).toBe(3);
    expect(await starts(lab.host('h2'))).toBe(2);
  });

  it('a failing task names host, task, command and stderr (exit 2); its notified handler runs on the next run', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '-e', '{"demo": {"content": "v3", "fail": true}}', '--limit', 'h2'], io)).toBe(2);
    expect(io.stdout).toContain('failed: [h2]');
    expect(io.stdout).toContain('task: demo : may fail');
    expect(io.stdout).toContain("command: echo 'the disk is on fire' >&2; exit 7");
    expect(io.stdout).toContain('stderr: the disk is on fire');
    expect(await starts(lab.host('h2'))).toBe(2);
    expect(await shOn(lab.host('h2'), 'cat /var/lib/labwright/pending-handlers')).toBe('demo:restart demo\n');

    const next = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '-e', '{"demo": {"content": "v3"}}', '--limit', 'h2'], next)).toBe(0);
    expect(next.stdout).toMatch(/h2\s+: ok=4\s+changed=1/); // the config is already v3: only the pending handler runs
    expect(await starts(lab.host('h2'))).toBe(3);
    expect(await shOn(lab.host('h2'), 'cat /var/lib/labwright/pending-handlers')).toBe('');
  });

  it('a run killed mid-write leaves no partial file, and the rerun converges', async () => {
    const h1 = lab.host('h1');
    const args = ['tsx', 'test/integration/big-write-playbook.ts', '-i', lab.inventoryPath, '--limit', 'h1', '-e', '{"demo": {"content": "v2", "big_file_mib": 256}}'];
    const child = spawn('npx', args, { detached: true, stdio: 'ignore' });
    // wait on the host itself (one exec) until the temp file is there and growing, then kill the controller
    const seen = await shResult(h1, 'for i in $(seq 1200); do if ls /srv/.big.bin.lwtmp.* >/dev/null 2>&1; then exit 0; fi; sleep 0.05; done; exit 1');
    process.kill(-child.pid!, 'SIGKILL');
    expect(seen.exitCode).toBe(0);
    // the remote side sees the stream end early: the checksum check refuses the short file
    await new Promise((r) => setTimeout(r, 2000));
    expect((await h1.exec(['test', '-e', '/srv/big.bin'])).exitCode).not.toBe(0);

    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '--limit', 'h1', '-e', '{"demo": {"content": "v2", "big_file_mib": 256}}'], io)).toBe(0);
    expect((await shOn(h1, 'stat -c %s /srv/big.bin')).trim()).toBe(String(256 * 2 ** 20));
    expect(await shOn(h1, 'ls -a /srv')).not.toContain('lwtmp');
  });

  it('an unreachable host is reported, the others complete, exit 3', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('docker', ['stop', '-t', '1', lab.host('h3').containerId]);
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath, '-e', '{"demo": {"content": "v4"}}'], io)).toBe(3);
    expect(io.stdout).toContain('unreachable: [h3]');
    expect(io.stdout).toMatch(/h3\s+: ok=0\s+changed=0\s+unreachable=1/);
    expect(io.stdout).toMatch(/h1\s+: ok=\d+\s+changed=2\s+unreachable=0\s+failed=0/);
    expect(await shOn(lab.host('h1'), 'cat /etc/lw-demo/app.conf')).toBe('value=v4\n');
  });
});

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLabwright } from '../../src/cli/labwright.js';
import { startLab, type Lab } from '../lab/index.js';
import { captureIo } from '../support/io.js';

/** `labwright exec` over real SSH on two lab hosts: output per host, become, a fact, and one host gone (exit 3). */
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ name: 'exec', hosts: ['e1', 'e2'].map((name) => ({ name, groups: ['nodes'] })) });
});

afterAll(async () => {
  await lab?.stop();
});

async function exec(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(['exec', 'nodes', '-i', lab.inventoryPath, ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright exec over SSH', () => {
  it('runs the command on both hosts, each with its own output; -b runs it as root', async () => {
    const { code, stdout } = await exec('-b', '--', 'echo "$(id -u) on $(cat /etc/hostname)"');
    expect(code).toBe(0);
    for (const host of lab.hosts) {
      const name = (await host.exec(['cat', '/etc/hostname'])).output.trim();
      expect(stdout).toMatch(new RegExp(`changed: \\[${host.name}\\]\\n.*\\n    stdout: 0 on ${name}\\n`));
    }
  });

  it('--fact interfaces: each host its addresses, as JSON', async () => {
    const { code, stdout } = await exec('--fact', 'interfaces');
    expect(code).toBe(0);
    const facts = JSON.parse(stdout);
    for (const host of lab.hosts) {
      const locals = facts[host.name].flatMap((i: { addresses: { local: string }[] }) => i.addresses.map((a) => a.local));
      expect(locals).toContain(host.ip);
    }
  });

  it('a host that is down: exit 3, unreachable, and the other host ran with its output shown', async () => {
    execFileSync('docker', ['stop', '-t', '1', lab.host('e2').containerId]);
    const { code, stdout } = await exec('--', 'echo alive');
    expect(code).toBe(3);
    expect(stdout).toContain('unreachable: [e2]');
    expect(stdout).toMatch(/changed: \[e1\]\n.*\n    stdout: alive\n/);
    expect(stdout).toMatch(/e1\s+: ok=0\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(stdout).toMatch(/e2\s+: ok=0\s+changed=0\s+unreachable=1/);
  });
});

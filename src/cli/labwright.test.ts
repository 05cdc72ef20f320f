import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeTree, yamlLines } from '../inventory/fixtures/tree.js';
import { captureIo } from '../../test/support/io.js';
import { writeYoungGenerationProbe } from '../../test/support/young-generation.js';
import { runLabwright } from './labwright.js';

const homelab = fileURLToPath(new URL('../inventory/fixtures/homelab/inventory.yaml', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/labwright.js', import.meta.url));

async function labwright(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright inventory --list', () => {
  it("prints ansible-inventory's shape: all's children (ungrouped first), each group's own hosts and children, _meta.hostvars", async () => {
    const { code, stdout, stderr } = await labwright('inventory', '-i', homelab, '--list');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { _meta, ...groups } = JSON.parse(stdout);
    expect(groups).toEqual({
      all: { children: ['ungrouped', 'gateways', 'k8s', 'monitoring'] },
      ungrouped: { hosts: ['nas'] },
      gateways: { hosts: ['gw1', 'gw2'] },
      k8s: { children: ['control_plane', 'workers'] },
      control_plane: { hosts: ['cp1'] },
      workers: { hosts: ['worker1', 'worker2'] },
      monitoring: { hosts: ['cp1', 'gw1'] },
    });
    expect(Object.keys(_meta.hostvars)).toEqual(['cp1', 'gw1', 'gw2', 'nas', 'worker1', 'worker2']);
    expect(_meta.hostvars.worker2).toMatchObject({ ansible_user: 'ops', ansible_become: false, port: '2222' });
  });

  it('masks secrets', async () => {
    const { stdout } = await labwright('inventory', '-i', homelab, '--list');
    expect(JSON.parse(stdout)._meta.hostvars.gw1.auth_pass).toBe('********');
    expect(stdout).not.toContain('s3cr3t');
  });

  it('sorts keys and indents by 4 like ansible-inventory', async () => {
    const { stdout } = await labwright('inventory', '-i', homelab, '--list');
    expect(stdout.startsWith('{\n    "_meta": {\n        "hostvars": {\n            "cp1": {\n')).toBe(true);
  });

  it('--limit keeps only the selected hosts, in groups and hostvars', async () => {
    const { code, stdout } = await labwright('inventory', '-i', homelab, '--list', '--limit', 'gateways:!gw2');
    expect(code).toBe(0);
    const list = JSON.parse(stdout);
    expect(list.gateways).toEqual({ hosts: ['gw1'] });
    expect(list.monitoring).toEqual({ hosts: ['gw1'] });
    expect(list.workers).toBeUndefined();
    expect(Object.keys(list._meta.hostvars)).toEqual(['gw1']);
  });
});

describe('labwright inventory --graph and --host', () => {
  it('draws the group tree like ansible-inventory --graph', async () => {
    const { code, stdout } = await labwright('inventory', '-i', homelab, '--graph');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        '@all:',
        '  |--@ungrouped:',
        '  |  |--nas',
        '  |--@gateways:',
        '  |  |--gw1',
        '  |  |--gw2',
        '  |--@k8s:',
        '  |  |--@control_plane:',
        '  |  |  |--cp1',
        '  |  |--@workers:',
        '  |  |  |--worker1',
        '  |  |  |--worker2',
        '  |--@monitoring:',
        '  |  |--cp1',
        '  |  |--gw1',
        '',
      ].join('\n'),
    );
  });

  it('draws from a given group', async () => {
    const { stdout } = await labwright('inventory', '-i', homelab, '--graph', 'k8s');
    expect(stdout).toBe('@k8s:\n  |--@control_plane:\n  |  |--cp1\n  |--@workers:\n  |  |--worker1\n  |  |--worker2\n');
  });

  it('--host prints one host\'s variables, secrets masked', async () => {
    const { code, stdout } = await labwright('inventory', '-i', homelab, '--host', 'gw2');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      ansible_host: '10.0.0.3',
      ansible_user: 'ops',
      auth_pass: '********',
      dns_servers: ['10.0.0.2', '10.0.0.3'],
      keepalived_interface: 'eth0',
      ntp_server: '10.0.0.1',
      vrrp_priority: 100,
      vrrp_router_id: 51,
    });
  });
});

describe('labwright: help and exit codes', () => {
  it('lists the subcommands with --help (exit 0); without a command it is a usage error (exit 5)', async () => {
    const help = await labwright('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: labwright COMMAND/);
    expect(help.stdout).toMatch(/\n {2}inventory {4}show the inventory/);
    const none = await labwright();
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('usage: labwright COMMAND');
  });

  it('describes the inventory options with inventory --help', async () => {
    const { code, stdout } = await labwright('inventory', '--help');
    expect(code).toBe(0);
    for (const flag of ['--list', '--graph', '--host', '--limit', '-i, --inventory']) expect(stdout).toContain(flag);
  });

  it.each([
    [['frobnicate'], expect.stringMatching(/^ERROR: unknown command "frobnicate": the commands are [a-z, ]*inventory[a-z, ]*\n\(see labwright --help\)\n$/)],
    [['inventory', '-i', homelab], 'ERROR: no action given: use exactly one of --list, --graph or --host\n(see labwright inventory --help)\n'],
    [['inventory', '-i', homelab, '--list', '--graph'], 'ERROR: --list and --graph given: use exactly one of --list, --graph or --host\n(see labwright inventory --help)\n'],
    [['inventory', '--list'], 'ERROR: -i/--inventory: at least one inventory file or directory is required\n(see labwright inventory --help)\n'],
    [['inventory', '-i', homelab, '--list', '--bogus'], expect.stringMatching(/^ERROR: Unknown option '--bogus'/)],
    [['inventory', '-i', homelab, '--host', 'nope'], 'ERROR: --host nope: no such host in the inventory\n'],
    [['inventory', '-i', homelab, '--graph', 'nope'], 'ERROR: --graph nope: no such group in the inventory\n(give a group name, or nothing for all)\n'],
    [['inventory', '-i', homelab, '--list', '-l', 'gw1:!!'], expect.stringMatching(/^ERROR: bad host pattern "gw1:!!"/)],
  ])('bad options %j: exit 5 with a message', async (argv, message) => {
    const { code, stdout, stderr } = await labwright(...argv);
    expect({ code, stdout, stderr }).toEqual({ code: 5, stdout: '', stderr: message });
  });

  it('a bad inventory is exit 4 naming file:line, without a stack trace', async () => {
    const dir = await writeTree({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    gw1:', '      ansible_port: twenty-two') });
    const { code, stderr } = await labwright('inventory', '-i', `${dir}/hosts.yaml`, '--list');
    expect(code).toBe(4);
    expect(stderr).toBe(
      `ERROR: ${dir}/hosts.yaml:4:7: all.hosts.gw1.ansible_port: expected an integer port 1-65535, got "twenty-two"\n`,
    );
  });

  it('--limit matching no host is exit 1', async () => {
    const { code, stderr } = await labwright('inventory', '-i', homelab, '--list', '--limit', 'db*');
    expect({ code, stderr }).toEqual({ code: 1, stderr: 'ERROR: --limit db* matches no host of the inventory\n' });
  });
});

describe('bin/labwright.js (npx labwright in a clone, no build)', () => {
  it('runs the TypeScript CLI through tsx and passes its exit code on', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [bin, 'inventory', '-i', homelab, '--graph', 'gateways']);
    expect(stdout).toBe('@gateways:\n  |--gw1\n  |--gw2\n');
    const failed = await run(process.execPath, [bin, 'inventory', '--list']).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 5, stderr: expect.stringContaining('-i/--inventory') });
  });

  it("keeps V8's young generation small in its process (a run's objects live long), and says nothing of it", async () => {
    const run = promisify(execFile);
    const dir = mkdtempSync(join(tmpdir(), 'lw-young-'));
    try {
      const probe = writeYoungGenerationProbe(dir, '.mjs');
      const viaBin = await run(process.execPath, [bin, 'run', probe]);
      expect(viaBin.stderr).toBe('');
      const { kept, youngMiB } = JSON.parse(viaBin.stdout);
      expect(kept).toBe(400_000);
      // in a clone it may grow once while tsx loads the CLI, before the setting is applied again (the package: test/package)
      expect(youngMiB).toBeLessThanOrEqual(4);
      // the same program run by node itself: V8's default lets the young generation grow to 32 MiB
      expect(JSON.parse((await run(process.execPath, [probe])).stdout).youngMiB).toBeGreaterThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findLabelled, LAB_LABEL } from './docker.js';
import { startLab, type Lab } from './index.js';

const run = promisify(execFile);
const NAME = `test-${process.pid}`;

/** `ssh` with the OpenSSH client, verifying host keys strictly against `knownHosts`. */
function ssh(lab: Lab, user: string, ip: string, command: string, knownHosts = lab.knownHostsPath) {
  return run('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-i', lab.keyPath, `${user}@${ip}`, command], {
    timeout: 20_000,
  });
}

const hasAnsible = await run('ansible', ['--version']).then(
  () => true,
  () => false,
);

describe('container lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      name: NAME,
      hosts: [
        { name: 'h1', groups: ['gateways'] },
        { name: 'h2', groups: ['workers'], vars: { node_role: 'worker' } },
      ],
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('runs systemd as PID 1, booted, on every host', async () => {
    for (const host of lab.hosts) {
      expect((await host.exec(['cat', '/proc/1/comm'])).output.trim()).toBe('systemd');
      expect((await host.exec(['systemctl', 'is-system-running'])).output.trim()).toMatch(/^(running|degraded)$/);
    }
  });

  it('lets lab in with the lab key, host key pinned, and sudo without a password', async () => {
    for (const host of lab.hosts) {
      await expect(ssh(lab, 'lab', host.ip, 'sudo -n true && echo ok')).resolves.toMatchObject({ stdout: 'ok\n' });
      await expect(ssh(lab, 'root', host.ip, 'id -un')).resolves.toMatchObject({ stdout: 'root\n' });
    }
  });

  it('refuses a host whose key is not the one in known_hosts', async () => {
    const [h1, h2] = lab.hosts;
    const swapped = `${lab.knownHostsPath}.swapped`;
    const keyOf = (line: string) => line.split(' ').slice(1).join(' ');
    const lines = (await readFile(lab.knownHostsPath, 'utf8')).trim().split('\n');
    const h2Key = keyOf(lines.find((line) => line.startsWith(`${h2!.ip} `))!);
    await writeFile(swapped, `${h1!.ip} ${h2Key}\n`);
    await expect(ssh(lab, 'lab', h1!.ip, 'true', swapped)).rejects.toMatchObject({ stderr: expect.stringContaining('HOST IDENTIFICATION HAS CHANGED') });
  });

  it('connects the hosts on the lab network', async () => {
    const [h1, h2] = lab.hosts;
    expect(lab.network.subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect((await h1!.exec(['ping', '-c', '1', '-W', '2', h2!.ip])).exitCode).toBe(0);
    expect((await h2!.exec(['ping', '-c', '1', '-W', '2', h1!.ip])).exitCode).toBe(0);
  });

  it('has the baked packages installed, their services disabled', async () => {
    const host = lab.host('h1');
    const versions: [string[], RegExp][] = [
      [['dnsmasq', '--version'], /Dnsmasq version/],
      [['haproxy', '-v'], /HAProxy version/],
      [['keepalived', '-v'], /Keepalived v/],
      [['nft', '--version'], /nftables v/],
    ];
    for (const [cmd, version] of versions) {
      const { output, exitCode } = await host.exec(cmd);
      expect(exitCode, cmd.join(' ')).toBe(0);
      expect(output).toMatch(version);
    }
    expect((await host.exec(['systemctl', 'is-enabled', 'dnsmasq', 'haproxy', 'keepalived'])).output.split('\n').filter(Boolean)).toEqual([
      'disabled',
      'disabled',
      'disabled',
    ]);
  });

  it('writes an Ansible inventory of the hosts by group', async () => {
    const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
    expect(inventory.all.children.gateways.hosts.h1).toMatchObject({ ansible_host: lab.host('h1').ip, ansible_user: 'lab', ansible_become: true });
    expect(inventory.all.children.workers.hosts.h2).toMatchObject({ ansible_host: lab.host('h2').ip, node_role: 'worker' });
  });

  it.skipIf(!hasAnsible)('works for ansible-core with the same inventory', async () => {
    const { stdout } = await run('ansible', ['all', '-i', lab.inventoryPath, '-m', 'command', '-a', 'id -un', '-o'], { timeout: 60_000 });
    expect(stdout.match(/\| CHANGED \| rc=0 \| \(stdout\) root/g)).toHaveLength(2);
  });

  it('rejects a second lab of the same name', async () => {
    await expect(startLab({ name: NAME, hosts: [{ name: 'h1', groups: [] }] })).rejects.toThrow(/already exists/);
  });

  it('stop() removes the containers, the network and the working directory', async () => {
    const workdir = lab.inventoryPath.replace(/\/inventory\.yaml$/, '');
    await lab.stop();
    expect(await findLabelled(`${LAB_LABEL}=${NAME}`)).toEqual({ containers: [], networks: [] });
    expect(existsSync(workdir)).toBe(false);
  });
});

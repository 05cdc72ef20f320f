import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn } from '../support/lab-shell.js';
import { demoService } from './demo-role.js';

/**
 * Seed 003's shape: the masters are on an internal network the controller
 * cannot reach, the gateway is on the lab network and the internal one. A
 * real playbook runs on the masters through the gateway (ProxyJump over ssh2),
 * from ansible_ssh_common_args and from an ssh_config given with -F.
 */
let lab: Lab;
const plays = [play({ name: 'demo', hosts: 'masters', roles: [demoService] })];
const masters = ['m1', 'm2'];

type InventoryDoc = { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };

/** A copy of the lab inventory with the masters' vars changed by `edit`; returns its path. */
async function inventoryVariant(file: string, edit: (vars: Record<string, unknown>) => void): Promise<string> {
  const doc = parse(await readFile(lab.inventoryPath, 'utf8')) as InventoryDoc;
  for (const vars of Object.values(doc.all.children.masters!.hosts)) edit(vars);
  const path = join(dirname(lab.inventoryPath), file);
  await writeFile(path, stringify(doc));
  return path;
}

/** Logins the gateway's sshd accepted so far. */
const gatewayLogins = async () => Number((await shOn(lab.host('gw1'), 'journalctl -u ssh --no-pager | grep -c "Accepted publickey" || true')).trim());

beforeAll(async () => {
  lab = await startLab({
    name: 'jump',
    hosts: [
      { name: 'gw1', groups: ['gateways'], network: 'both' },
      { name: 'm1', groups: ['masters'], network: 'internal' },
      { name: 'm2', groups: ['masters'], network: 'internal' },
    ],
  });
}, 600_000);

afterAll(async () => {
  await lab?.stop();
});

describe('masters behind a gateway (seed 003 shape)', () => {
  it('the controller has no route to the masters: a direct run finds them unreachable (exit 3)', async () => {
    const io = captureIo();
    expect(await main(plays, ['-i', lab.inventoryPath], io)).toBe(3);
    for (const name of masters) expect(io.stdout).toContain(`unreachable: [${name}]`);
    expect(io.stdout).toMatch(/no route to \d+\.\d+\.\d+\.\d+/);
    for (const name of masters) expect((await lab.host(name).exec(['test', '-e', '/etc/lw-demo/app.conf'])).exitCode).not.toBe(0);
  });

  it("ansible_ssh_common_args: -o ProxyJump=gw1 (an inventory host: its vars): the masters are configured, through one connection to gw1", async () => {
    const inventory = await inventoryVariant('proxyjump.yaml', (vars) => {
      vars.ansible_ssh_common_args = `${vars.ansible_ssh_common_args} -o ProxyJump=gw1`;
    });
    const loginsBefore = await gatewayLogins();
    const io = captureIo();
    expect(await main(plays, ['-i', inventory], io)).toBe(0);
    for (const name of masters) {
      expect(io.stdout).toMatch(new RegExp(`${name}\\s+: ok=\\d+\\s+changed=[1-9]\\d*\\s+unreachable=0\\s+failed=0`));
      expect(await shOn(lab.host(name), 'cat /etc/lw-demo/app.conf')).toBe('value=v1\n');
      expect((await shOn(lab.host(name), 'systemctl is-active lw-demo')).trim()).toBe('active');
    }
    expect((await gatewayLogins()) - loginsBefore).toBe(1);
  });

  it('an ssh_config given with -F (Host of the masters: ProxyJump bastion; Host bastion: HostName, User, IdentityFile, IdentitiesOnly)', async () => {
    const gw1 = lab.host('gw1');
    const configFile = join(dirname(lab.inventoryPath), 'ssh_config');
    await writeFile(
      configFile,
      [
        `Host ${masters.map((name) => lab.host(name).ip).join(' ')}`,
        '  ProxyJump bastion',
        'Host bastion',
        `  HostName ${gw1.ip}`,
        '  User lab',
        `  IdentityFile ${lab.keyPath}`,
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
    const inventory = await inventoryVariant('ssh-config.yaml', (vars) => {
      vars.ansible_ssh_common_args = `-F ${configFile}`;
    });
    const io = captureIo();
    expect(await main(plays, ['-i', inventory, '-e', '{"demo": {"content": "v2"}}'], io)).toBe(0);
    for (const name of masters) {
      expect(io.stdout).toMatch(new RegExp(`${name}\\s+: ok=\\d+\\s+changed=[1-9]\\d*\\s+unreachable=0\\s+failed=0`));
      expect(await shOn(lab.host(name), 'cat /etc/lw-demo/app.conf')).toBe('value=v2\n');
    }
  });

  it('a jump host that cannot be reached is named in the unreachable message', async () => {
    const inventory = await inventoryVariant('bad-jump.yaml', (vars) => {
      vars.ansible_ssh_common_args = `${vars.ansible_ssh_common_args} -o ProxyJump=lab@${lab.host('gw1').ip}:2299`;
    });
    const io = captureIo();
    expect(await main(plays, ['-i', inventory], io)).toBe(3);
    expect(io.stdout).toMatch(new RegExp(`via lab@${lab.host('gw1').ip.replaceAll('.', '\\.')}:2299: connection refused`));
  });
});

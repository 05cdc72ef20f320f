import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hostsFile, loadError, loadTree, yamlLines } from './fixtures/tree.js';

/** No ~/.ssh/config of the machine running the tests takes part: HOME is a temporary folder. */
let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'labwright-home-'));
  vi.stubEnv('HOME', home);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(home, { recursive: true, force: true });
});

const userConfig = async (...lines: string[]) => {
  await mkdir(path.join(home, '.ssh'), { recursive: true });
  await writeFile(path.join(home, '.ssh', 'config'), yamlLines(...lines));
};

/** Hosts of a tree with `hosts` (name → flow mapping) and an `ssh_config` file beside it. */
const inventoryWith = (hosts: Record<string, string>, sshConfig: string[] = []) =>
  loadTree({
    'hosts.yaml': yamlLines('all:', '  hosts:', ...Object.entries(hosts).map(([name, vars]) => `    ${name}: ${vars}`)),
    ssh_config: yamlLines(...sshConfig),
  });

describe('~/.ssh/config', () => {
  it('gives HostName, User, Port, IdentityFile and IdentitiesOnly of the first matching Host section', async () => {
    await userConfig(
      'Host web?',
      '  HostName 10.1.0.%h',
      'Host web1 !web2',
      '  User first',
      '  Port 2201',
      '  IdentityFile ~/.ssh/web_key',
      '  IdentitiesOnly yes',
      'Host *',
      '  User everyone',
      '  Port 2299',
      '  IdentityFile ~/.ssh/id_all',
    );
    const inventory = await inventoryWith({ web1: '{}', web2: '{}', web12: '{}' });
    expect(inventory.hosts.get('web1')!.connection).toMatchObject({
      address: '10.1.0.web1',
      user: 'first',
      port: 2201,
      identityFiles: [path.join(home, '.ssh/web_key'), path.join(home, '.ssh/id_all')],
      identitiesOnly: true,
    });
    // !web2 vetoes the second section; ? is exactly one character (web12 matches neither web? section)
    expect(inventory.hosts.get('web2')!.connection).toMatchObject({ address: '10.1.0.web2', user: 'everyone', port: 2299 });
    expect(inventory.hosts.get('web12')!.connection).toMatchObject({ address: 'web12', user: 'everyone', port: 2299 });
  });

  it('is looked up by ansible_host, and ansible_user / ansible_port / the key file win over it', async () => {
    await userConfig('Host box.lan', '  HostName 192.0.2.7', '  User cfg', '  Port 2222', '  IdentityFile /keys/cfg');
    const inventory = await inventoryWith({
      a: '{ ansible_host: box.lan }',
      b: '{ ansible_host: box.lan, ansible_user: ops, ansible_port: 22, ansible_ssh_private_key_file: /keys/inv }',
      box: '{}',
    });
    expect(inventory.hosts.get('a')!.connection).toMatchObject({ address: '192.0.2.7', user: 'cfg', port: 2222 });
    expect(inventory.hosts.get('b')!.connection).toMatchObject({
      address: '192.0.2.7',
      user: 'ops',
      port: 22,
      privateKeyFile: '/keys/inv',
      identityFiles: ['/keys/cfg'],
    });
    expect(inventory.hosts.get('box')!.connection).toMatchObject({ address: 'box', port: 22 });
  });

  it('-F in ansible_ssh_common_args reads that file (relative to the inventory) instead, and -o options win over it', async () => {
    await userConfig('Host *', '  User from-home');
    const inventory = await inventoryWith(
      {
        h1: '{ ansible_ssh_common_args: "-F ssh_config -o User=from-args" }',
        h2: '{ ansible_ssh_common_args: "-F ssh_config" }',
        h3: '{}',
      },
      ['Host h*', '  User from-f', '  HostName %h.example'],
    );
    expect(inventory.hosts.get('h1')!.connection).toMatchObject({ user: 'from-args', address: 'h1.example' });
    expect(inventory.hosts.get('h2')!.connection).toMatchObject({ user: 'from-f', address: 'h2.example' });
    expect(inventory.hosts.get('h3')!.connection).toMatchObject({ user: 'from-home', address: 'h3' });
  });

  it('reads Include files (relative to ~/.ssh, with a * pattern) in place', async () => {
    await mkdir(path.join(home, '.ssh', 'conf.d'), { recursive: true });
    await writeFile(path.join(home, '.ssh', 'conf.d', '10-lab'), 'Host lab-*\n  User included\n');
    await userConfig('Include conf.d/*', 'Host *', '  User later');
    const inventory = await inventoryWith({ 'lab-1': '{}', other: '{}' });
    expect(inventory.hosts.get('lab-1')!.connection.user).toBe('included');
    expect(inventory.hosts.get('other')!.connection.user).toBe('later');
  });
});

describe('jump hosts', () => {
  const hop = (name: string, spec: Record<string, unknown>) => expect.objectContaining({ name, spec: expect.objectContaining(spec) });

  it('-o ProxyJump=, -J and the ssh -W %h:%p ProxyCommand of tutorials and Kubespray', async () => {
    const inventory = await inventoryWith({
      a: '{ ansible_ssh_common_args: "-o ProxyJump=ops@bastion.example:2222" }',
      b: '{ ansible_ssh_extra_args: "-J ops@bastion.example:2222" }',
      c: `{ ansible_ssh_common_args: '-o ProxyCommand="ssh -W %h:%p -q ops@bastion.example -p 2222 -i /keys/bastion"' }`,
      d: `{ ansible_ssh_common_args: '-o ProxyCommand="ssh -q ops@bastion.example -p 2222 nc %h %p"' }`,
      e: `{ ansible_user: ops, ansible_ssh_common_args: '-o ProxyCommand="ssh -W %h:%p %r@bastion.example -p 2222"' }`,
    });
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      expect(inventory.hosts.get(name)!.connection.via, name).toEqual([
        hop(['a', 'b'].includes(name) ? 'ops@bastion.example:2222' : 'ops@bastion.example', { address: 'bastion.example', port: 2222, user: 'ops' }),
      ]);
    }
    expect(inventory.hosts.get('c')!.connection.via![0]!.spec.identityFiles).toEqual(['/keys/bastion']);
  });

  it('a jump host that is an inventory host is reached with its connection vars; a,b chains; hops inherit the host key policy', async () => {
    const inventory = await inventoryWith(
      {
        gw1: '{ ansible_host: 203.0.113.1, ansible_port: 2200, ansible_user: admin, ansible_ssh_private_key_file: /keys/gw, known_hosts_file: /kh/gw }',
        m1: '{ ansible_host: 10.9.0.11, ansible_ssh_common_args: "-o ProxyJump=gw1" }',
        m2: '{ ansible_host: 10.9.0.12, labwright_jump_host: gw1 }',
        m3: '{ ansible_host: 10.9.0.13, ansible_ssh_common_args: "-J gw1,inner", known_hosts_file: /kh/m3 }',
        m4: '{ ansible_host: 10.9.0.14, ansible_ssh_common_args: "-F ssh_config" }',
      },
      ['Host 10.9.0.*', '  ProxyJump gw1'],
    );
    const gw1 = { address: '203.0.113.1', port: 2200, user: 'admin', privateKeyFile: '/keys/gw', knownHostsFile: '/kh/gw' };
    expect(inventory.hosts.get('m1')!.connection.via).toEqual([hop('gw1', gw1)]);
    expect(inventory.hosts.get('m2')!.connection.via).toEqual([hop('gw1', gw1)]);
    expect(inventory.hosts.get('m4')!.connection.via).toEqual([hop('gw1', gw1)]);
    expect(inventory.hosts.get('m3')!.connection.via).toEqual([hop('gw1', gw1), hop('inner', { address: 'inner', port: 22, knownHostsFile: '/kh/m3' })]);
  });

  it('a jump entry at the address and port of an inventory host uses that host (Kubespray writes the bastion by its ansible_host)', async () => {
    const inventory = await inventoryWith({
      bastion: '{ ansible_host: 203.0.113.5, ansible_user: ubuntu, ansible_ssh_private_key_file: /keys/b }',
      node1: `{ ansible_ssh_common_args: '-o ProxyCommand="ssh -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -W %h:%p -p 22 ubuntu@203.0.113.5"' }`,
    });
    expect(inventory.hosts.get('node1')!.connection.via).toEqual([hop('bastion', { address: '203.0.113.5', user: 'ubuntu', privateKeyFile: '/keys/b' })]);
  });

  it('a jump host of a jump host comes first (ssh_config ProxyJump of the bastion)', async () => {
    await userConfig('Host inner', '  HostName 10.0.0.2', '  ProxyJump outer.example');
    const inventory = await inventoryWith({ m: '{ ansible_ssh_common_args: "-o ProxyJump=inner" }' });
    expect(inventory.hosts.get('m')!.connection.via).toEqual([hop('outer.example', { address: 'outer.example' }), hop('inner', { address: '10.0.0.2' })]);
  });

  it('another ProxyCommand is an inventory error (exit 4) naming host, where it is set and why', async () => {
    const message = await loadError(
      hostsFile('all:', '  hosts:', `    m1: { ansible_ssh_common_args: '-o ProxyCommand="nc -X 5 -x proxy:1080 %h %p"' }`),
    );
    expect(message).toMatch(/^hosts\.yaml:3:\d+: ansible_ssh_common_args \(host m1\): ProxyCommand "nc -X 5 -x proxy:1080 %h %p" is not supported \(it does not run ssh\)/);
    expect(message).toContain('-o ProxyJump=');
    await userConfig('Host m1', '  ProxyCommand ssh -W 10.0.0.1:22 bastion');
    const fromConfig = await loadError(hostsFile('all:', '  hosts:', '    m1: {}'));
    expect(fromConfig).toContain(`m1: ${path.join(home, '.ssh', 'config')} (Host m1): ProxyCommand "ssh -W 10.0.0.1:22 bastion" is not supported (-W 10.0.0.1:22 is not -W %h:%p)`);
  });

  it('a group-wide jump host that covers the jump host itself: the jump host is connected to directly', async () => {
    const inventory = await loadTree(
      hostsFile('all:', '  vars:', '    ansible_ssh_common_args: -o ProxyJump=gw1', '  hosts:', '    gw1: { ansible_host: 203.0.113.1 }', '    m1: {}'),
    );
    expect(inventory.hosts.get('gw1')!.connection.via).toBeUndefined();
    expect(inventory.hosts.get('m1')!.connection.via).toEqual([hop('gw1', { address: '203.0.113.1' })]);
  });

  it('jump hosts that reach each other in a loop are refused (exit 4), naming the loop', async () => {
    const message = await loadError(
      hostsFile('all:', '  hosts:', '    a: { labwright_jump_host: b }', '    b: { labwright_jump_host: a }', '    m1: { labwright_jump_host: a }'),
    );
    expect(message).toContain('jump hosts loop: a -> b -> a');
  });

  it('templates in ssh options are rendered (src/inventory/jinja.ts); one that cannot render is exit 4 with the place, not passed on', async () => {
    const message = await loadError(hostsFile('all:', '  hosts:', `    m1: { ansible_ssh_common_args: "-o ProxyJump={{ bastion }}" }`));
    expect(message).toMatch(/^host m1: ansible_ssh_common_args: cannot render .*'bastion' is undefined .*\(set at hosts\.yaml:3:\d+\)/);
  });
});

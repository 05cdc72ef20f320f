import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secret, secret } from '../secret.js';
import { hostsFile, loadTree, writeTree } from './fixtures/tree.js';
import { loadInventory } from './index.js';

/** The connection of host `h` with `vars` (YAML flow mapping text). */
const connectionOf = async (vars: string) =>
  (await loadTree({ 'hosts.yaml': `all:\n  hosts:\n    h: ${vars}\n` })).hosts.get('h')!.connection;

describe('connection settings', () => {
  it('defaults to strict ssh on port 22 to the inventory name', async () => {
    expect(await connectionOf('{}')).toEqual({
      kind: 'ssh',
      address: 'h',
      port: 22,
      become: false,
      hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000,
    });
  });

  it('reads the Ansible keys', async () => {
    const connection = await connectionOf(
      '{ ansible_host: 10.0.0.2, ansible_port: 2222, ansible_user: ops, ansible_ssh_private_key_file: ~/.ssh/lab,' +
        ' ansible_password: !secret pw12, ansible_become: true, ansible_become_user: postgres,' +
        ' ansible_connection: ssh, ansible_host_key_checking: true }',
    );
    expect(connection).toMatchObject({
      kind: 'ssh',
      address: '10.0.0.2',
      port: 2222,
      user: 'ops',
      privateKeyFile: path.join(homedir(), '.ssh/lab'), // ~ expanded (see controller-path.test.ts)
      become: true,
      becomeUser: 'postgres',
      hostKeyChecking: 'strict',
    });
    expect(connection.password).toBeInstanceOf(Secret);
    expect(connection.password?.reveal()).toBe('pw12');
  });

  it('reads the friendlier aliases', async () => {
    const connection = await connectionOf(
      '{ address: gw1.lab.example, port: 2200, user: ops, key_file: keys/lab, become: true, connection: local,' +
        ' host_key_checking: accept-new, known_hosts_file: .lab/known_hosts, connect_timeout: 2.5 }',
    );
    expect(connection).toEqual({
      kind: 'local',
      address: 'gw1.lab.example',
      port: 2200,
      user: 'ops',
      privateKeyFile: expect.stringMatching(/\/keys\/lab$/), // from the inventory's folder (see controller-path.test.ts)
      become: true,
      hostKeyChecking: 'accept-new',
      knownHostsFile: expect.stringMatching(/\/\.lab\/known_hosts$/),
      connectTimeoutMs: 2500,
    });
  });

  it('accepts an alias and its Ansible key when they agree', async () => {
    expect((await connectionOf('{ port: "2222", ansible_port: 2222 }')).port).toBe(2222);
  });

  it.each([
    ['smart', 'ssh'],
    ['paramiko', 'ssh'],
    ['local', 'local'],
  ])('maps ansible_connection %s to %s', async (written, kind) => {
    expect((await connectionOf(`{ ansible_connection: ${written} }`)).kind).toBe(kind);
  });

  it('keeps IP addresses in canonical form', async () => {
    expect((await connectionOf('{ ansible_host: "fd00:0:0:0:0:0:0:10" }')).address).toBe('fd00::10');
  });

  it('turns a plain-string password into a Secret', async () => {
    expect((await connectionOf('{ ansible_password: hunter2 }')).password?.reveal()).toBe('hunter2');
  });

  it('reads the legacy Ansible spellings', async () => {
    const connection = await connectionOf(
      '{ ansible_ssh_host: 10.0.0.2, ansible_ssh_port: 2222, ansible_ssh_user: ops, ansible_ssh_pass: !secret pw12,' +
        ' ansible_timeout: 3 }',
    );
    expect(connection).toMatchObject({ address: '10.0.0.2', port: 2222, user: 'ops', connectTimeoutMs: 3000 });
    expect(connection.password?.reveal()).toBe('pw12');
  });

  it.each([
    ['ansible_ssh_timeout: 4', { connectTimeoutMs: 4000 }],
    ['ansible_private_key_file: keys/lab', { privateKeyFile: expect.stringMatching(/^\/.*\/keys\/lab$/) }],
    ['ansible_ssh_host_key_checking: true', { hostKeyChecking: 'strict' }],
    ['ansible_become_method: sudo', { become: false }],
  ])('reads %s too', async (entry, expected) => {
    expect(await connectionOf(`{ ${entry} }`)).toMatchObject(expected);
  });

  it('reads labwright_command_timeout (seconds) as the ceiling of every command', async () => {
    expect((await connectionOf('{ labwright_command_timeout: 90 }')).commandTimeoutMs).toBe(90_000);
    expect((await connectionOf('{}')).commandTimeoutMs).toBeUndefined(); // the connection's default
    await expect(connectionOf('{ labwright_command_timeout: 0 }')).rejects.toThrow(
      'all.hosts.h.labwright_command_timeout: expected a positive number of seconds, got 0',
    );
  });

  it('reads ansible_ssh_password as the password', async () => {
    expect((await connectionOf('{ ansible_ssh_password: pw12 }')).password?.reveal()).toBe('pw12');
  });

  it('reads the jump host of ansible_ssh_common_args; StrictHostKeyChecking=no in ansible_ssh_extra_args does not turn host key checking off', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  hosts:',
        '    h:',
        '      ansible_ssh_common_args: "-o ProxyJump=bastion"',
        '      ansible_ssh_extra_args: "-o StrictHostKeyChecking=no"',
      ),
      { sshConfigFile: '/nonexistent/ssh_config' },
    );
    const h = inventory.hosts.get('h')!;
    expect(h.connection).toEqual({
      kind: 'ssh',
      address: 'h',
      port: 22,
      become: false,
      hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000,
      via: [{ name: 'bastion', spec: { kind: 'ssh', address: 'bastion', port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 10_000 } }],
    });
    expect(h.vars.ansible_ssh_common_args).toBe('-o ProxyJump=bastion');
  });
});

describe('spellings of one setting are one variable for precedence', () => {
  it.each([
    ['ansible_become: true', 'become: false', false],
    ['become: false', 'ansible_become: true', true],
    ['ansible_become: false', 'become: true', true],
  ])('group %s, host %s: the host wins', async (groupVar, hostVar, become) => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  children:',
        '    k8s:',
        `      vars: { ${groupVar} }`,
        '      hosts:',
        `        cp1: { ${hostVar} }`,
      ),
    );
    expect(inventory.hosts.get('cp1')?.connection.become).toBe(become);
  });

  it('follows variable precedence whatever the spelling', async () => {
    const inventory = await loadTree({
      ...hostsFile(
        'all:',
        '  vars: { address: 10.0.0.1, ansible_port: 2201, ansible_user: group-user }',
        '  children:',
        '    g:',
        '      hosts:',
        '        h1: { ansible_ssh_host: 10.0.0.2, user: host-user }',
        '        h2: { port: 2202 }',
      ),
      'group_vars/all.yaml': 'port: 2200\nansible_ssh_user: group-vars-user\n',
      'host_vars/h2.yaml': 'ansible_ssh_port: 2203\n',
    });
    expect(inventory.hosts.get('h1')?.connection).toMatchObject({ address: '10.0.0.2', port: 2200, user: 'host-user' });
    expect(inventory.hosts.get('h2')?.connection).toMatchObject({
      address: '10.0.0.1',
      port: 2203,
      user: 'group-vars-user',
    });
  });

  it('lets extra vars in one spelling override the inventory in another', async () => {
    const inventory = await loadTree(hostsFile('all:', '  hosts:', '    h: { ansible_user: ops }'), {
      extraVars: { user: 'root' },
    });
    expect(inventory.hosts.get('h')?.connection.user).toBe('root');
  });

  it('reads ansible_become_password / ansible_become_pass as the sudo password (a Secret); -K is the default for hosts that set none', async () => {
    expect((await connectionOf('{ ansible_become_password: !secret sudo-pw-1 }')).becomePassword?.reveal()).toBe('sudo-pw-1');
    expect((await connectionOf('{ ansible_become_pass: sudo-pw-2 }')).becomePassword?.reveal()).toBe('sudo-pw-2');
    const typed = secret('typed-with-K');
    const inventory = await loadTree(
      { 'hosts.yaml': 'all:\n  hosts:\n    own: { ansible_become_password: own-password }\n    other: {}\n' },
      { becomePassword: typed },
    );
    expect(inventory.hosts.get('own')?.connection.becomePassword?.reveal()).toBe('own-password');
    expect(inventory.hosts.get('other')?.connection.becomePassword).toBe(typed);
  });
});

describe('-u, --private-key, -b, --become-user: for the hosts whose variables set none', () => {
  const flags = { user: 'cli', privateKeyFile: '/keys/cli', become: true, becomeUser: 'svc' };

  it("a host's own variables (or its group's) win over the flags, as in Ansible; the others take the flags", async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  hosts:',
        '    plain: {}',
        '    own: { ansible_user: ops, ansible_ssh_private_key_file: /keys/own, ansible_become: false, ansible_become_user: db }',
        '  children:',
        '    nobecome: { hosts: { grouped: {} }, vars: { ansible_become: false } }',
      ),
      { ...flags, sshConfigFile: '/nonexistent/ssh_config' },
    );
    const of = (name: string) => inventory.hosts.get(name)!.connection;
    expect(of('plain')).toMatchObject({ user: 'cli', privateKeyFile: '/keys/cli', become: true, becomeUser: 'svc' });
    expect(of('own')).toMatchObject({ user: 'ops', privateKeyFile: '/keys/own', become: false, becomeUser: 'db' });
    expect(of('grouped')).toMatchObject({ user: 'cli', become: false });
  });

  it("-u wins over an ssh_config User (Ansible passes it as -o User=), the inventory's user over both", async () => {
    const tree = {
      'ssh_config': 'Host *\n  User fromconfig\n  Port 2200\n',
      'hosts.yaml': 'all:\n  hosts:\n    plain: {}\n    own: { ansible_user: ops }\n',
    };
    const dir = await writeTree(tree);
    const load = (opts: { user?: string }) => loadInventory([path.join(dir, 'hosts.yaml')], { ...opts, sshConfigFile: path.join(dir, 'ssh_config') });
    const without = await load({});
    expect(without.hosts.get('plain')!.connection).toMatchObject({ user: 'fromconfig', port: 2200 });
    const withFlag = await load({ user: 'cli' });
    expect(withFlag.hosts.get('plain')!.connection).toMatchObject({ user: 'cli', port: 2200 });
    expect(withFlag.hosts.get('own')!.connection).toMatchObject({ user: 'ops' });
  });
});

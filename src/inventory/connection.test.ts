import { describe, expect, it } from 'vitest';
import { Secret } from '../secret.js';
import { loadTree } from './fixtures/tree.js';

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
        ' ansible_password: !secret pw, ansible_become: true, ansible_become_user: postgres,' +
        ' ansible_connection: ssh, ansible_host_key_checking: true }',
    );
    expect(connection).toMatchObject({
      kind: 'ssh',
      address: '10.0.0.2',
      port: 2222,
      user: 'ops',
      privateKeyFile: '~/.ssh/lab',
      become: true,
      becomeUser: 'postgres',
      hostKeyChecking: 'strict',
    });
    expect(connection.password).toBeInstanceOf(Secret);
    expect(connection.password?.reveal()).toBe('pw');
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
      privateKeyFile: 'keys/lab',
      become: true,
      hostKeyChecking: 'accept-new',
      knownHostsFile: '.lab/known_hosts',
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
});

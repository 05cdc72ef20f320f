import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostsFile, loadError, writeTree } from './fixtures/tree.js';
import { loadInventory } from './index.js';

describe('inventory mistakes: one ParseError message with file:line:col, key path, expected and found', () => {
  it('a port that is not a number', async () => {
    const files = hostsFile(
      'all:',
      '    children:',
      '        gateways:',
      '            hosts:',
      '                gw1:',
      '                    ansible_port: twenty-two',
    );
    expect(await loadError(files)).toBe(
      'hosts.yaml:6:21: all.children.gateways.hosts.gw1.ansible_port: expected an integer port 1-65535, got "twenty-two"',
    );
  });

  it('a port out of range', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', '      port: 70000'))).toBe(
      'hosts.yaml:4:7: all.hosts.gw1.port: expected an integer port 1-65535, got 70000',
    );
  });

  it('become written as a quoted string', async () => {
    expect(await loadError(hostsFile('all:', '  vars:', '    ansible_become: "yes"', '  hosts:', '    gw1:'))).toBe(
      'hosts.yaml:3:5: all.vars.ansible_become: expected true or false, got "yes" ' +
        '(a quoted string is not a boolean: write true or false without quotes)',
    );
  });

  it('host key checking turned off the Ansible way', async () => {
    const files = hostsFile('all:', '  vars:', '    ansible_host_key_checking: false', '  hosts:', '    gw1:');
    expect(await loadError(files)).toBe(
      'hosts.yaml:3:5: all.vars.ansible_host_key_checking: expected true, got false (labwright never turns host key ' +
        'verification off: set host_key_checking: accept-new to accept and record unknown host keys)',
    );
  });

  it('an alias and its Ansible key that disagree in one host entry', async () => {
    const files = hostsFile('all:', '  hosts:', '    gw1:', '      ansible_port: 22', '      port: 2222');
    expect(await loadError(files)).toBe(
      'hosts.yaml:5:7: all.hosts.gw1.port: port is 2222 but ansible_port is 22 (hosts.yaml:4:7): set only one of them',
    );
  });

  it("an alias and its Ansible key that disagree in one group's vars, even when a host overrides both", async () => {
    const files = hostsFile(
      'all:',
      '  children:',
      '    k8s:',
      '      vars:',
      '        ansible_become: true',
      '        become: false',
      '      hosts:',
      '        cp1: { become: true }',
    );
    expect(await loadError(files)).toBe(
      'hosts.yaml:6:9: all.children.k8s.vars.become: become is false but ansible_become is true (hosts.yaml:5:9): ' +
        'set only one of them',
    );
  });

  it('a legacy Ansible key and its modern key that disagree in one vars file', async () => {
    const files = {
      ...hostsFile('all:', '  hosts:', '    gw1:'),
      'host_vars/gw1.yaml': 'ansible_user: ops\nansible_ssh_user: root\n',
    };
    expect(await loadError(files)).toBe(
      'host_vars/gw1.yaml:2:1: ansible_ssh_user: ansible_ssh_user is "root" but ansible_user is "ops" ' +
        '(host_vars/gw1.yaml:1:1): set only one of them',
    );
  });

  it('two spellings that disagree in the extra vars', async () => {
    const extraVars = { ansible_host: '10.0.0.2', address: '10.0.0.3' };
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:'), { extraVars })).toBe(
      'extra vars: address: address is "10.0.0.3" but ansible_host is "10.0.0.2" (extra vars): set only one of them',
    );
  });

  it.each([['ansible_become_password'], ['ansible_become_pass']])('a become password that is not a string (%s)', async (key) => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', `      ${key}: [a, b]`))).toBe(
      `hosts.yaml:4:7: all.hosts.gw1.${key}: expected a string (preferably tagged !secret), got a list`,
    );
  });

  it('a become method other than sudo', async () => {
    const files = { ...hostsFile('all:', '  hosts:', '    gw1:'), 'group_vars/all.yml': 'ansible_become_method: su\n' };
    expect(await loadError(files)).toBe(
      'group_vars/all.yml:1:1: ansible_become_method: expected sudo, got "su" (labwright becomes another user only ' +
        'through sudo: remove ansible_become_method or set it to sudo (with ansible_become_password, or -K, when sudo ' +
        'asks the connection user for a password))',
    );
  });

  it('y written for a boolean', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', '      become: y'))).toBe(
      'hosts.yaml:4:7: all.hosts.gw1.become: expected true or false, got "y" ' +
        '(y and n are strings in YAML as Ansible reads it: write true or false)',
    );
  });

  it.each([['10.0.0.256'], ['010.0.0.1'], ['gw_1.lan'], ['1234']])('an invalid ansible_host %s', async (address) => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', `      ansible_host: "${address}"`))).toBe(
      `hosts.yaml:4:7: all.hosts.gw1.ansible_host: expected an IP address or a DNS hostname, got "${address}"`,
    );
  });

  it('an unsupported connection type', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    win1:', '      ansible_connection: winrm'))).toBe(
      'hosts.yaml:4:7: all.hosts.win1.ansible_connection: expected ssh or local (smart and paramiko mean ssh), got "winrm"',
    );
  });

  it('a missing inventory file', async () => {
    const dir = await writeTree({});
    const missing = path.join(dir, 'nope.yaml');
    await expect(loadInventory([missing])).rejects.toMatchObject({
      name: 'ParseError',
      exitCode: 4,
      message: `${missing}: cannot read: file not found`,
    });
  });

  it('a YAML syntax error, with its position', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1: [1, 2', '    gw2:'))).toBe(
      'hosts.yaml:4:5: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('a host entry that is a list', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', '      - ansible_host: 10.0.0.2'))).toBe(
      'hosts.yaml:3:5: all.hosts.gw1: expected a mapping of variables, got a list',
    );
  });

  it('hosts written as a list', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    - gw1', '    - gw2'))).toBe(
      'hosts.yaml:2:3: all.hosts: expected a mapping of host names, got a list',
    );
  });

  it('a group that is a scalar', async () => {
    expect(await loadError(hostsFile('all:', '  children:', '    gateways: gw1'))).toBe(
      'hosts.yaml:3:5: all.children.gateways: expected a mapping with hosts, children or vars, got "gw1"',
    );
  });

  it('a typo in a group key', async () => {
    expect(await loadError(hostsFile('all:', '  children:', '    gateways:', '      host:', '        gw1:'))).toBe(
      'hosts.yaml:4:7: all.children.gateways.host: expected hosts, children or vars, got "host" (did you mean "hosts"?)',
    );
  });

  it('a host written directly under a group', async () => {
    expect(await loadError(hostsFile('all:', '  gw1:'))).toBe(
      'hosts.yaml:2:3: all.gw1: expected hosts, children or vars, got "gw1"',
    );
  });

  it('a group name with a space', async () => {
    expect(await loadError(hostsFile('all:', '  children:', '    web servers:'))).toBe(
      'hosts.yaml:3:5: all.children.web servers: expected a non-empty name without spaces or any of : , ! &, got "web servers"',
    );
  });

  it('an unknown YAML tag', async () => {
    expect(await loadError(hostsFile('all:', '  vars:', '    pw: !include |', '      abc'))).toBe(
      'hosts.yaml:3:9: unknown YAML tag !include: only !secret and !unsafe and !vault are supported',
    );
  });

  it('!secret on a mapping', async () => {
    expect(await loadError(hostsFile('all:', '  vars:', '    pw: !secret { a: 1 }'))).toBe(
      'hosts.yaml:3:9: !secret applies only to a single value such as a string',
    );
  });

  it('a duplicate host', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:', '    gw1:'))).toBe(
      'hosts.yaml:4:5: all.hosts.gw1: duplicate key (first at hosts.yaml:3:5)',
    );
  });

  it('a group that contains itself', async () => {
    expect(await loadError(hostsFile('a:', '  children:', '    b:', '      children:', '        a:'))).toBe(
      'hosts.yaml:3:5: a.children.b: group "b" cannot be a child of "a", which is itself inside "b"',
    );
  });

  it('all as a child group', async () => {
    expect(await loadError(hostsFile('g:', '  children:', '    all:'))).toBe(
      'hosts.yaml:3:5: g.children.all: the all group contains every group: it cannot be a child',
    );
  });

  it('an empty inventory', async () => {
    expect(await loadError(hostsFile('# nothing yet'))).toBe(
      'hosts.yaml:1:1: the inventory is empty: expected a mapping of groups such as "all:"',
    );
  });

  it('a non-integer ansible_group_priority', async () => {
    const files = hostsFile('all:', '  children:', '    g:', '      vars:', '        ansible_group_priority: high');
    expect(await loadError(files)).toBe(
      'hosts.yaml:5:9: all.children.g.vars.ansible_group_priority: expected an integer, got "high"',
    );
  });

  it('a mistake in a group_vars file names that file', async () => {
    const files = {
      ...hostsFile('all:', '  children:', '    gateways:', '      hosts:', '        gw1:'),
      'group_vars/gateways.yaml': '# gateways\nansible_user: ops\nansible_port: [22]\n',
    };
    expect(await loadError(files)).toBe(
      'group_vars/gateways.yaml:3:1: ansible_port: expected an integer port 1-65535, got a list',
    );
  });

  it('a host_vars file that is not a mapping', async () => {
    expect(await loadError({ ...hostsFile('all:', '  hosts:', '    gw1:'), 'host_vars/gw1.yml': '- a\n' })).toBe(
      'host_vars/gw1.yml:1:1: expected a mapping of variables, got a list',
    );
  });

  it('a bad extra var', async () => {
    expect(await loadError(hostsFile('all:', '  hosts:', '    gw1:'), { extraVars: { ansible_port: 'ssh' } })).toBe(
      'extra vars: ansible_port: expected an integer port 1-65535, got "ssh"',
    );
  });
});

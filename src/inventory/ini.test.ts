import { chmodSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { play } from '../engine/definitions.js';
import { ParseError } from '../errors.js';
import { writeTree } from './fixtures/tree.js';
import { loadInventory } from './index.js';

/** Loads `file` of a temporary tree of `files`. */
async function load(files: Record<string, string>, file = 'hosts.ini') {
  const dir = await writeTree(files);
  return loadInventory([path.join(dir, file)]);
}

/** The ParseError message of loading `file` of `files`, paths relative to the tree. */
async function loadError(files: Record<string, string>, file = 'hosts.ini'): Promise<string> {
  const dir = await writeTree(files);
  const error = await loadInventory([path.join(dir, file)]).then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ParseError);
  return (error as ParseError).message.replaceAll(dir + path.sep, '');
}

const lines = (...text: string[]) => text.join('\n') + '\n';

describe('INI inventories (Ansible ini plugin)', () => {
  it('reads ungrouped hosts, [group], [group:vars], [group:children] declared before the group, [all:vars]', async () => {
    const inventory = await load({
      'hosts.ini': lines(
        '# comment',
        '; comment too',
        'bastion ansible_host=203.0.113.10',
        '[k8s:children]',
        'control_plane',
        'workers',
        '[control_plane]',
        'cp1',
        '[workers]',
        'w1 mtu=9000',
        '[workers:vars]',
        'pool = general',
        '[all:vars]',
        'ansible_user=ops',
      ),
    });
    expect([...inventory.hosts.keys()]).toEqual(['bastion', 'cp1', 'w1']);
    expect(inventory.groups.get('k8s')).toMatchObject({ children: ['control_plane', 'workers'], hosts: ['cp1', 'w1'] });
    expect(inventory.groups.get('ungrouped')?.ownHosts).toEqual(['bastion']);
    expect(inventory.hosts.get('w1')?.vars).toEqual({ ansible_user: 'ops', pool: 'general', mtu: 9000 });
    expect(inventory.hosts.get('bastion')?.vars).toEqual({ ansible_user: 'ops', ansible_host: '203.0.113.10' });
  });

  it('types values as Python literals, else keeps the text', async () => {
    const inventory = await load({
      'hosts.ini': lines(
        `h1 mtu=9000 x=yes t=True labels="{'a': 1}" ports=80,443 q="two words" s="'5'" n=None ip=10.0.0.1`,
        '[all:vars]',
        "dns = ['10.0.0.2', '10.0.0.3']",
        'mode = 0644',
        'ratio = 0.5',
        'note = hello # kept: vars lines have no comments',
      ),
    });
    expect(inventory.hosts.get('h1')?.vars).toEqual({
      mtu: 9000,
      x: 'yes',
      t: true,
      labels: { a: 1 },
      ports: [80, 443],
      q: 'two words',
      s: '5',
      n: null,
      ip: '10.0.0.1',
      dns: ['10.0.0.2', '10.0.0.3'],
      mode: '0644',
      ratio: 0.5,
      note: 'hello # kept: vars lines have no comments',
    });
  });

  it('expands ranges: numeric, zero-padded, letters, strides, several in one name; host:port sets ansible_port', async () => {
    const inventory = await load({
      'hosts.ini': lines('[g]', 'node[1:3]', 'web[01:10:4]', 'db-[a:c]', 'r[a:b]-[1:2]', 'ssh.example:2222', 'p[1:2]:2200 ansible_user=x'),
    });
    expect(inventory.groups.get('g')?.ownHosts).toEqual([
      'node1', 'node2', 'node3', 'web01', 'web05', 'web09', 'db-a', 'db-b', 'db-c',
      'ra-1', 'ra-2', 'rb-1', 'rb-2', 'ssh.example', 'p1', 'p2',
    ]);
    expect(inventory.hosts.get('ssh.example')?.vars).toEqual({ ansible_port: 2222 });
    expect(inventory.hosts.get('p2')?.vars).toEqual({ ansible_port: 2200, ansible_user: 'x' });
    expect(inventory.hosts.get('p2')?.connection).toMatchObject({ port: 2200, user: 'x' });
  });

  it('replaces characters a variable name cannot have in section names, as Ansible ([web-servers] is web_servers)', async () => {
    const inventory = await load({ 'hosts.ini': lines('[web-servers]', 'w1', '[web-servers:vars]', 'x=1') });
    expect(inventory.groups.has('web-servers')).toBe(false);
    expect(inventory.groups.get('web_servers')?.ownHosts).toEqual(['w1']);
  });

  it('knows where each variable was written (file:line:col)', async () => {
    const inventory = await load({ 'hosts.ini': lines('[g]', 'h1 a=1  b=2', '[g:vars]', 'c = 3') });
    expect(inventory.origin('h1', 'b')).toMatch(/hosts\.ini:2:9$/);
    expect(inventory.origin('h1', 'c')).toMatch(/hosts\.ini:4:1$/);
  });

  it('a bad value for a known key names file:line:col and the key', async () => {
    expect(await loadError({ 'hosts.ini': lines('[g]', 'h1 ansible_port=twenty') })).toBe(
      'hosts.ini:2:4: h1.ansible_port: expected an integer port 1-65535, got "twenty"',
    );
  });

  it.each([
    [['[g:hosts2]', 'h'], 'hosts.ini:1: section [g:hosts2] has an unknown type "hosts2": expected [group], [group:vars] or [group:children]'],
    [['[g:vars]', 'x=1'], 'hosts.ini:1: section [g:vars] is for a group that is not declared: add a [g] section'],
    [['[a:children]', 'b'], 'hosts.ini:2: section [a:children] names group "b", which is not declared: declare it with a [b] or [b:children] section'],
    [
      ['[a:children]', 'web-servers', '[web-servers]', 'w1'],
      'hosts.ini:2: section [a:children] names group "web-servers", which is not declared: section names have characters other than letters, digits and _ replaced by _ (as in Ansible), so the group is "web_servers"',
    ],
    [['[web servers]'], 'hosts.ini:1: invalid section "[web servers]": write [group], [group:vars] or [group:children], without spaces'],
    [['[g:vars]', 'novalue'], 'hosts.ini:2: expected key=value, got "novalue"'],
    [['h1 novalue'], 'hosts.ini:1: expected key=value after the host name, got "novalue"'],
    [['h1 x="open'], 'hosts.ini:1: cannot read the host line "h1 x="open": no closing quotation'],
    [['node[1:]'], 'hosts.ini:1: host range "node[1:]": a host range must give its end'],
    [['node[01:100]'], 'hosts.ini:1: host range "node[01:100]": a zero-padded range needs begin and end of the same length (01, 100)'],
    [['node[c:a]'], 'hosts.ini:1: host range "node[c:a]": a host range must have begin <= end'],
    [['gw1:'], 'hosts.ini:1: host "gw1:" ends in ":", which is reserved for a port (host:2222)'],
    [['h1 s="{1, 2}"'], 'hosts.ini:1: the value {1, 2} is a set in Python, which Ansible cannot show either: quote it to keep it a string'],
    [['a!b'], 'hosts.ini:1:1: expected a non-empty name without spaces or any of : , ! &, got "a!b"'],
  ])('refuses %j naming file:line', async (text, message) => {
    expect(await loadError({ 'hosts.ini': lines(...text) })).toBe(message);
  });
});

describe('inventory sources: YAML or INI by content, directories', () => {
  it('reads INI from a file named .yaml, and YAML from a file without extension', async () => {
    const ini = await load({ 'hosts.yaml': lines('[g]', 'h1 x=1') }, 'hosts.yaml');
    expect(ini.hosts.get('h1')?.vars).toEqual({ x: 1 });
    const yaml = await load({ hosts: lines('all:', '  hosts:', '    h2:', '      x: 2') }, 'hosts');
    expect(yaml.hosts.get('h2')?.vars).toEqual({ x: 2 });
  });

  it('reads any other name as INI only (a YAML file named .ini is an INI error)', async () => {
    expect(await loadError({ 'hosts.ini': lines('all:', '  hosts:', '    h1:') })).toBe(
      'hosts.ini:1: host "all:" ends in ":", which is reserved for a port (host:2222)',
    );
  });

  it('keeps the YAML error for a broken YAML file', async () => {
    expect(await loadError({ 'hosts.yaml': lines('all:', '  hosts:', '    h1: {') }, 'hosts.yaml')).toMatch(
      /^hosts\.yaml:\d+:\d+: YAML syntax error/,
    );
  });

  it('refuses an inventory plugin configuration, saying what to do', async () => {
    expect(await loadError({ 'aws_ec2.yml': lines('plugin: amazon.aws.aws_ec2', 'regions: [eu-west-1]') }, 'aws_ec2.yml')).toBe(
      'aws_ec2.yml: configures the inventory plugin amazon.aws.aws_ec2, which labwright does not run: it reads YAML and INI inventories (ansible-inventory -i FILE --list -y > hosts.yaml writes one)',
    );
  });

  it('refuses an executable inventory script (Ansible runs it; labwright does not), but reads a non-executable file with #!', async () => {
    const dir = await writeTree({ 'dyn.sh': lines('#!/bin/sh', 'echo "{}"'), 'plain': lines('#!not a script', '[web]', 'w1') });
    chmodSync(path.join(dir, 'dyn.sh'), 0o755);
    const error = await loadInventory([path.join(dir, 'dyn.sh')]).then(() => undefined, (thrown: unknown) => thrown);
    expect((error as ParseError).message.replaceAll(dir + path.sep, '')).toBe(
      'dyn.sh: is an executable inventory script, which labwright does not run: it reads YAML and INI inventories (ansible-inventory -i FILE --list -y > hosts.yaml writes one)',
    );
    expect([...(await loadInventory([path.join(dir, 'plain')])).hosts.keys()]).toEqual(['w1']);
  });

  it('reads a directory: its files in sorted order (nested too), YAML and INI mixed, its group_vars/ and host_vars/; skips what Ansible skips', async () => {
    const dir = await writeTree({
      'inv/01-hosts.yml': lines('all:', '  children:', '    web:', '      hosts:', '        w1:', '        w2:'),
      'inv/02-lab': lines('[db]', 'db1', '[web]', 'w3 role=ini'),
      'inv/sub/03-more': lines('[backup]', 'bk1'),
      'inv/group_vars/web.yml': 'http_port: 80\n',
      'inv/host_vars/db1.yml': 'primary: true\n',
      'inv/hosts.ini': lines('[ignored]', 'x1'),
      'inv/notes.md': lines('[ignored]', 'x2'),
      'inv/old.orig': lines('[ignored]', 'x3'),
      'inv/backup~': lines('[ignored]', 'x4'),
      'inv/ansible.cfg': lines('[defaults]', 'x5'),
      'inv/.hidden': lines('[ignored]', 'x6'),
      'inv/hosts.retry': 'x7\n',
    });
    const inventory = await loadInventory([path.join(dir, 'inv')]);
    expect([...inventory.hosts.keys()]).toEqual(['w1', 'w2', 'db1', 'w3', 'bk1']);
    expect(inventory.groups.has('ignored')).toBe(false);
    expect(inventory.hosts.get('w3')?.vars).toEqual({ http_port: 80, role: 'ini' });
    expect(inventory.hosts.get('db1')?.vars).toEqual({ primary: true });
    expect(inventory.sources).toEqual([path.join(dir, 'inv')]);
  });

  it('reads ranges and ports in YAML host names too, as Ansible', async () => {
    const inventory = await load({ 'hosts.yaml': lines('all:', '  hosts:', '    web[01:03]:', '      x: 1', '    ssh.example:2222:') }, 'hosts.yaml');
    expect([...inventory.hosts.keys()]).toEqual(['web01', 'web02', 'web03', 'ssh.example']);
    expect(inventory.hosts.get('ssh.example')?.vars).toEqual({ ansible_port: 2222 });
  });

  it('names a missing -i path', async () => {
    const dir = await writeTree({});
    const error = await loadInventory([path.join(dir, 'nope')]).catch((thrown: unknown) => thrown);
    expect((error as ParseError).message).toBe(`${path.join(dir, 'nope')}: cannot read: file not found`);
  });
});

describe('the playbook CLI with an INI inventory', () => {
  it('lists the hosts of plays with subscripted patterns and a --limit, in Ansible order', async () => {
    const dir = await writeTree({ hosts: lines('[web]', 'web[1:3]', '[db]', 'db1', '[app:children]', 'db', 'web') });
    const io = captureIo();
    const plays = [play({ name: 'first web', hosts: 'web[0]', roles: [] }), play({ name: 'app', hosts: 'app', roles: [] })];
    const code = await main(plays, ['-i', path.join(dir, 'hosts'), '--list-hosts', '--limit', 'app[1:]'], io);
    expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: '' });
    expect(io.stdout).toBe(
      '\nplay "first web" (web[0]): 1 host(s)\n    web1\n' + '\nplay "app" (app): 3 host(s)\n    web1\n    web2\n    web3\n',
    );
  });
});

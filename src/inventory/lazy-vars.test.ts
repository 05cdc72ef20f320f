import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { isSecret } from '../secret.js';
import { inventoryList } from './ansible-view.js';
import { hostsFile, loadTree } from './fixtures/tree.js';

const INVENTORY = hostsFile(
  'all:',
  '  vars:',
  "    k8s_count: \"{{ groups['k8s'] | length }}\"",
  '    short: "{{ inventory_hostname_short }}"',
  '    label: "{{ short }}-{{ role | default(\'node\') }}"',
  "    peer_ip: \"{{ hostvars['k2.lab'].ip }}\"",
  '    mine: "{{ group_names }}"',
  '    broken: "{{ no_such_var }}"',
  '    motd: !unsafe "{{ not a template }}"',
  '  children:',
  '    k8s:',
  '      hosts:',
  '        k1.lab: {ip: 10.0.0.1, role: cp}',
  '        k2.lab: {ip: 10.0.0.2}',
  '      vars:',
  '        endpoints: ["{{ ip }}:6443", {host: "{{ inventory_hostname }}"}]',
);

describe('templates in inventory values', () => {
  it('render when read, in the host\'s context', async () => {
    const inventory = await loadTree(INVENTORY);
    const k1 = inventory.hosts.get('k1.lab')!.vars;
    expect(k1.k8s_count).toBe('2');
    expect(k1.label).toBe('k1-cp');
    expect(inventory.hosts.get('k2.lab')!.vars.label).toBe('k2-node');
    expect(k1.peer_ip).toBe('10.0.0.2');
    expect(k1.mine).toEqual(['k8s']);
    expect(k1.endpoints).toEqual(['10.0.0.1:6443', { host: 'k1.lab' }]);
  });

  it('leave an unused broken template alone, and name file:line, host and key of a used one', async () => {
    const inventory = await loadTree(INVENTORY);
    const k1 = inventory.hosts.get('k1.lab')!.vars;
    expect(k1.short).toBe('k1');
    let error: unknown;
    try {
      void k1.broken;
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toMatch(/^host k1\.lab: broken: cannot render "\{\{ no_such_var \}\}": 'no_such_var' is undefined \(at no_such_var\) \(set at .*hosts\.yaml:8:5\)$/);
  });

  it('never template a !unsafe value', async () => {
    const inventory = await loadTree(INVENTORY);
    expect(inventory.hosts.get('k1.lab')!.vars.motd).toBe('{{ not a template }}');
  });

  it('refuse variables that refer to each other in a loop', async () => {
    const inventory = await loadTree(hostsFile('all:', '  hosts:', '    h1:', '      a: "{{ b }}"', '      b: "x{{ a }}"'));
    expect(() => inventory.hosts.get('h1')!.vars.a).toThrow(ParseError);
    expect(() => inventory.hosts.get('h1')!.vars.a).toThrow(/loop: a → b → a/);
  });

  it('keep a secret a secret when templated through', async () => {
    const inventory = await loadTree(
      hostsFile('all:', '  hosts:', '    h1:', '      pw: !secret hunter22', '      url: "https://admin:{{ pw }}@h1/"'),
    );
    const url = inventory.hosts.get('h1')!.vars.url;
    expect(isSecret(url)).toBe(true);
    expect((url as { reveal(): string }).reveal()).toBe('https://admin:hunter22@h1/');
  });

  it('render in connection settings, from other hosts too', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  vars:',
        '    ansible_host: "{{ node_ip }}"',
        '    ansible_port: "{{ 2200 + 2 }}"',
        "    ansible_user: \"{{ hostvars['h2'].admin }}\"",
        '  hosts:',
        '    h1: {node_ip: 192.0.2.7}',
        '    h2: {node_ip: 192.0.2.8, admin: ops}',
      ),
    );
    expect(inventory.hosts.get('h1')!.connection).toMatchObject({ address: '192.0.2.7', port: 2202, user: 'ops' });
    expect(inventory.hosts.get('h2')!.connection).toMatchObject({ address: '192.0.2.8', port: 2202, user: 'ops' });
  });

  it('render in ssh options: a ProxyJump to the first gateway', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  children:',
        '    gateways:',
        '      hosts:',
        '        gw1: {ansible_host: 192.0.2.1}',
        '    masters:',
        '      hosts:',
        '        m1: {ansible_host: 10.9.0.11}',
        '      vars:',
        "        ansible_ssh_common_args: \"-o ProxyJump={{ groups['gateways'][0] }}\"",
      ),
    );
    expect(inventory.hosts.get('m1')!.connection.via?.map((hop) => hop.spec.address)).toEqual(['192.0.2.1']);
  });

  it('name file:line and key of a connection setting whose template cannot render', async () => {
    const error = await loadTree(hostsFile('all:', '  hosts:', '    h1:', '      ansible_host: "{{ ip_typo }}"')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toMatch(/^host h1: ansible_host: cannot render "\{\{ ip_typo \}\}": 'ip_typo' is undefined .*\(set at .*hosts\.yaml:4:7\)$/);
  });

  it('stay unrendered in labwright inventory --list, as ansible-inventory --list', async () => {
    const inventory = await loadTree(INVENTORY);
    const list = inventoryList(inventory) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    expect(list._meta.hostvars['k1.lab']!.label).toBe("{{ short }}-{{ role | default('node') }}");
    expect(list._meta.hostvars['k1.lab']!.broken).toBe('{{ no_such_var }}');
  });
});


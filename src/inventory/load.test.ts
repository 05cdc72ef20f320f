import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSecret } from '../secret.js';
import { hostsFile, loadTree, writeTree, yamlLines } from './fixtures/tree.js';
import { loadInventory } from './index.js';

const homelab = fileURLToPath(new URL('./fixtures/homelab/inventory.yaml', import.meta.url));

describe('loadInventory: a realistic homelab inventory', () => {
  it('keeps hosts in inventory order', async () => {
    const inventory = await loadInventory([homelab]);
    expect([...inventory.hosts.keys()]).toEqual(['nas', 'gw1', 'gw2', 'cp1', 'worker1', 'worker2']);
    expect(inventory.sources).toEqual([homelab]);
  });

  it('reads groups, nested children and the hosts of descendants', async () => {
    const { groups } = await loadInventory([homelab]);
    expect(groups.get('k8s')).toMatchObject({
      children: ['control_plane', 'workers'],
      hosts: ['cp1', 'worker1', 'worker2'],
    });
    expect(groups.get('gateways')?.hosts).toEqual(['gw1', 'gw2']);
    expect(groups.get('workers')?.hosts).toEqual(['worker1', 'worker2']);
  });

  it('adds the implicit all and ungrouped groups', async () => {
    const { groups } = await loadInventory([homelab]);
    expect(groups.get('all')?.hosts).toEqual(['nas', 'gw1', 'gw2', 'cp1', 'worker1', 'worker2']);
    expect(groups.get('all')?.children).toEqual(['ungrouped', 'gateways', 'k8s', 'monitoring']); // Ansible's order
    expect(groups.get('ungrouped')?.hosts).toEqual(['nas']);
  });

  it('lists every group of a host, ancestors included, in merge order', async () => {
    const { hosts } = await loadInventory([homelab]);
    expect(hosts.get('cp1')?.groups).toEqual(['all', 'k8s', 'monitoring', 'control_plane']);
    expect(hosts.get('gw1')?.groups).toEqual(['all', 'gateways', 'monitoring']);
    expect(hosts.get('nas')?.groups).toEqual(['all', 'ungrouped']);
  });

  it('merges group and host variables as plain data, keeping !secret values as Secrets', async () => {
    const gw1 = (await loadInventory([homelab])).hosts.get('gw1')!;
    expect(gw1.vars).toMatchObject({ ansible_user: 'ops', vrrp_router_id: 51, vrrp_priority: 150 });
    expect(isSecret(gw1.vars.auth_pass)).toBe(true);
    expect(String(gw1.vars.auth_pass)).toBe('********');
  });

  it('reads unquoted yes/no as booleans, like Ansible (YAML 1.1)', async () => {
    const cp1 = (await loadInventory([homelab])).hosts.get('cp1')!;
    expect(cp1.vars.ansible_become).toBe(true);
    expect(cp1.connection.become).toBe(true);
  });
});

describe('loadInventory: structure', () => {
  it('merges several inventory files in order', async () => {
    const dir = await writeTree({
      'a.yaml': yamlLines(
        'all:',
        '  vars: { tier: a, only_a: 1 }',
        '  children:',
        '    web:',
        '      hosts:',
        '        web1:',
      ),
      'b.yaml': yamlLines(
        'all:',
        '  vars: { tier: b }',
        '  children:',
        '    web:',
        '      hosts:',
        '        web2:',
        '    db:',
        '      hosts:',
        '        db1:',
      ),
    });
    const inventory = await loadInventory([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]);
    expect([...inventory.hosts.keys()]).toEqual(['web1', 'web2', 'db1']);
    expect(inventory.groups.get('web')?.hosts).toEqual(['web1', 'web2']);
    expect(inventory.hosts.get('web1')?.vars).toMatchObject({ tier: 'b', only_a: 1 });
  });

  it('accepts a group under several parents and a host in several groups', async () => {
    const inventory = await loadTree(
      hostsFile(
        'site_a:',
        '  children:',
        '    dns:',
        '      hosts:',
        '        ns1:',
        'site_b:',
        '  children:',
        '    dns:',
        '      hosts:',
        '        ns2:',
        '    dhcp:',
        '      hosts:',
        '        ns2:',
      ),
    );
    expect(inventory.groups.get('site_a')?.hosts).toEqual(['ns1', 'ns2']);
    expect(inventory.groups.get('site_b')?.hosts).toEqual(['ns1', 'ns2']);
    expect(inventory.hosts.get('ns2')?.groups).toEqual(['all', 'site_a', 'site_b', 'dhcp', 'dns']);
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual([]);
  });

  it('makes top-level groups other than all children of all', async () => {
    const inventory = await loadTree(hostsFile('routers:', '  hosts:', '    r1:', 'lonely:', '  hosts:', '    l1:'));
    expect(inventory.groups.get('all')?.children).toEqual(['ungrouped', 'routers', 'lonely']);
    expect(inventory.hosts.get('r1')?.groups).toEqual(['all', 'routers']);
  });

  it('puts hosts in no group but all into ungrouped, and takes out of it those in another group', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  hosts:',
        '    a:',
        '  children:',
        '    ungrouped:',
        '      hosts:',
        '        b:',
        '        c:',
        '    g:',
        '      hosts:',
        '        c:',
      ),
    );
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['a', 'b']);
  });

  it('applies << merge keys and aliases, and reads !unsafe as a plain string', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  hosts:',
        '    n1: &node',
        '      ansible_user: ops',
        '      rack: r1',
        '    n2:',
        '      <<: *node',
        '      rack: r2',
        '      motd: !unsafe "{{ not a template }}"',
      ),
    );
    expect(inventory.hosts.get('n2')?.vars).toEqual({ ansible_user: 'ops', rack: 'r2', motd: '{{ not a template }}' });
  });

  it('reads plain scalars like Ansible (PyYAML): y, n, 1e3 and -.5 are strings', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  hosts:',
        '    h:',
        '      strings: [y, Y, n, N, 1e3, 1.0e3, 1e-3, -.5, tRuE]',
        '      booleans: [yes, No, true, FALSE, on, OFF]',
        '      numbers: [1.5e+3, .5, 1_000, 0x1F, 017, 0b101, 1:30, 3.14]',
        '      y: key',
      ),
    );
    expect(inventory.hosts.get('h')?.vars).toEqual({
      strings: ['y', 'Y', 'n', 'N', '1e3', '1.0e3', '1e-3', '-.5', 'tRuE'],
      booleans: [true, false, true, false, true, false],
      numbers: [1500, 0.5, 1000, 31, 15, 5, 90, 3.14],
      y: 'key',
    });
  });

  it('keeps dates as strings so that vars stay plain data', async () => {
    const inventory = await loadTree(hostsFile('all:', '  hosts:', '    h:', '      installed: 2024-05-01'));
    expect(inventory.hosts.get('h')?.vars.installed).toBe('2024-05-01');
  });

  it('gives each group its own merged vars', async () => {
    const { groups } = await loadInventory([homelab]);
    expect(groups.get('gateways')?.vars).toEqual({ vrrp_router_id: 51, keepalived_interface: 'eth0' });
  });
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSecret } from '../secret.js';
import { PRECEDENCE_CASES } from './fixtures/precedence-cases.js';
import { hostsFile, loadError, loadTree, writeTree, yamlLines } from './fixtures/tree.js';
import { loadInventory } from './index.js';

const inventoryFile = fileURLToPath(new URL('./fixtures/precedence/inventory.yaml', import.meta.url));
const fixture = (file: string) => path.join(path.dirname(inventoryFile), file);

// Every case here and in fixtures/precedence-cases.ts is also checked against real Ansible by
// ansible-inventory.test.ts.
describe('variable precedence, lowest first, as in Ansible (fixtures/precedence)', () => {
  const load = () => loadInventory([inventoryFile], { extraVars: { extra_vars: 'extra vars' } });

  it.each([
    ['all_inventory', 'all inventory', `${inventoryFile}:8:5`],
    ['k8s_inventory', 'k8s inventory', `${inventoryFile}:20:9`],
    ['workers_inventory', 'workers inventory', `${inventoryFile}:31:13`],
    ['group_vars_all', 'group_vars/all', `${fixture('group_vars/all.yaml')}:1:1`],
    ['group_vars_k8s', 'group_vars/k8s', `${fixture('group_vars/k8s.yaml')}:1:1`],
    ['group_vars_workers', 'group_vars/workers', `${fixture('group_vars/workers.yaml')}:1:1`],
    ['host_inventory', 'host inventory', `${inventoryFile}:40:15`],
    ['host_vars_w1', 'host_vars/w1', `${fixture('host_vars/w1.yaml')}:1:1`],
    ['extra_vars', 'extra vars', 'extra vars'],
  ])('%s is won by %s', async (key, winner, origin) => {
    const inventory = await load();
    expect(inventory.hosts.get('w1')?.vars[key]).toBe(winner);
    expect(inventory.origin('w1', key)).toBe(origin);
  });
});

describe('variable precedence cases (fixtures/precedence-cases.ts)', () => {
  it.for(PRECEDENCE_CASES)('$name', async ({ files, inventories, extraVars, expected }) => {
    const dir = await writeTree(files);
    const inventory = await loadInventory(
      (inventories ?? ['hosts.yaml']).map((file) => path.join(dir, file)),
      { extraVars },
    );
    for (const [host, vars] of Object.entries(expected)) {
      expect({ host, vars: inventory.hosts.get(host)?.vars }).toEqual({ host, vars });
    }
  });

  it('tells where the winning value was set', async () => {
    const inventory = await loadTree({
      ...hostsFile(
        'all:',
        '  vars: { x: all inventory, y: all inventory }',
        '  children:',
        '    child:',
        '      vars: { x: child inventory, y: child inventory }',
        '      hosts:',
        '        h:',
      ),
      'group_vars/all.yaml': 'x: group_vars/all\n',
    });
    expect(inventory.hosts.get('h')?.vars).toEqual({ x: 'group_vars/all', y: 'child inventory' });
    expect(inventory.origin('h', 'x')).toMatch(/group_vars\/all\.yaml:1:1$/);
    expect(inventory.origin('h', 'y')).toMatch(/hosts\.yaml:5:35$/);
  });
});

describe('group merge order', () => {
  it('lists the groups of a host in merge order: depth, then ansible_group_priority, then name', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  children:',
        '    z_parent:',
        '      children:',
        '        a_child:',
        '          hosts:',
        '            h:',
        '    beta:',
        '      hosts: { h: }',
        '    alpha:',
        '      vars: { ansible_group_priority: 10 }',
        '      hosts: { h: }',
        '    gamma:',
        '      hosts: { h: }',
      ),
    );
    expect(inventory.hosts.get('h')?.groups).toEqual(['all', 'beta', 'gamma', 'z_parent', 'alpha', 'a_child']);
  });

  it('takes the last ansible_group_priority of a group in the inventory files, and keeps it out of its vars', async () => {
    const dir = await writeTree({
      'a.yaml': yamlLines(
        'alpha:',
        '  vars: { ansible_group_priority: 10, site: alpha }',
        '  hosts: { h: }',
        'beta:',
        '  vars: { site: beta }',
        '  hosts: { h: }',
      ),
      'b.yaml': yamlLines('alpha:', '  vars: { ansible_group_priority: 0 }'),
    });
    const both = await loadInventory([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]);
    expect(both.hosts.get('h')?.groups).toEqual(['all', 'alpha', 'beta']);
    expect(both.hosts.get('h')?.vars).toEqual({ site: 'beta' });
    expect(both.groups.get('alpha')?.vars).toEqual({ site: 'alpha' });
  });

  it('refuses ansible_group_priority in a group_vars/ file, which Ansible reads too late to order groups', async () => {
    const message = await loadError({
      ...hostsFile('all:', '  children:', '    alpha:', '      hosts: { h: }', '    beta:', '      hosts: { h: }'),
      'group_vars/beta.yaml': 'site: beta\nansible_group_priority: 0\n',
    });
    expect(message).toBe(
      'group_vars/beta.yaml:2:1: ansible_group_priority: read only from the inventory file, as by Ansible, ' +
        'which ignores it in group_vars/ files (they are loaded after the groups are ordered): ' +
        'move it to the vars: of group "beta" in the inventory',
    );
  });

  it('lets extra vars override host_vars and connection settings', async () => {
    const inventory = await loadTree(
      { ...hostsFile('all:', '  hosts:', '    h:', '      ansible_port: 22'), 'host_vars/h.yaml': 'ansible_port: 2200\n' },
      { extraVars: { ansible_port: 2222 } },
    );
    expect(inventory.hosts.get('h')?.connection.port).toBe(2222);
    expect(inventory.origin('h', 'ansible_port')).toBe('extra vars');
  });
});

describe('vars are plain data of each host', () => {
  const files = {
    ...hostsFile(
      'all:',
      '  children:',
      '    g:',
      '      vars:',
      '        labels: { zone: a, tags: [x] }',
      '        token: !secret t0ken',
      '      hosts:',
      '        h1:',
      '        h2:',
    ),
    'group_vars/all.yaml': 'dns: [10.0.0.2]\n',
  };

  it('gives each host its own copy of an inherited mapping or list', async () => {
    const inventory = await loadTree(files);
    const h1 = inventory.hosts.get('h1')!.vars as { labels: { zone: string; tags: string[] }; dns: string[] };
    const h2 = inventory.hosts.get('h2')!.vars;
    h1.labels.zone = 'b';
    h1.labels.tags.push('y');
    h1.dns.push('10.0.0.3');
    expect(h2.labels).toEqual({ zone: 'a', tags: ['x'] });
    expect(h2.dns).toEqual(['10.0.0.2']);
    expect(inventory.groups.get('g')?.vars.labels).toEqual({ zone: 'a', tags: ['x'] });
    expect(inventory.groups.get('all')?.vars.dns).toEqual(['10.0.0.2']);
  });

  it('keeps !secret values as the same Secret instances', async () => {
    const inventory = await loadTree(files);
    const token = inventory.hosts.get('h1')?.vars.token;
    expect(isSecret(token)).toBe(true);
    expect(token).toBe(inventory.hosts.get('h2')?.vars.token);
    expect(isSecret(token) && token.reveal()).toBe('t0ken');
  });

  it('gives each host its own copy of the extra vars', async () => {
    const extraVars = { ports: [80] };
    const inventory = await loadTree(files, { extraVars });
    (inventory.hosts.get('h1')!.vars.ports as number[]).push(443);
    expect(inventory.hosts.get('h2')?.vars.ports).toEqual([80]);
    expect(extraVars.ports).toEqual([80]);
  });

  it('copies shared YAML anchors; a value that contains itself is refused (it would be endless)', async () => {
    const inventory = await loadTree(hostsFile('all:', '  hosts:', '    h:', '      a: &s [1, 2]', '      b: [*s, *s]'));
    const b = inventory.hosts.get('h')?.vars.b as unknown[][];
    expect(b).toEqual([[1, 2], [1, 2]]);
    expect(await loadError(hostsFile('all:', '  hosts:', '    h:', '      loop: &l [1, *l]'))).toBe(
      'hosts.yaml:4:20: all.hosts.h.loop.1: alias *l refers to a node that contains it: the value would be endless',
    );
  });
});

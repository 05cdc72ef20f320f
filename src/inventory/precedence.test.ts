import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostsFile, loadTree } from './fixtures/tree.js';
import { loadInventory } from './index.js';

const inventoryFile = fileURLToPath(new URL('./fixtures/precedence/inventory.yaml', import.meta.url));
const fixture = (file: string) => path.join(path.dirname(inventoryFile), file);

describe('variable precedence, lowest first (fixtures/precedence)', () => {
  const load = () => loadInventory([inventoryFile], { extraVars: { extra_vars: 'extra vars' } });

  it.each([
    ['all_inventory', 'all inventory', `${inventoryFile}:6:5`],
    ['group_vars_all', 'group_vars/all', `${fixture('group_vars/all.yaml')}:1:1`],
    ['k8s_inventory', 'k8s inventory', `${inventoryFile}:18:9`],
    ['group_vars_k8s', 'group_vars/k8s', `${fixture('group_vars/k8s.yaml')}:1:1`],
    ['workers_inventory', 'workers inventory', `${inventoryFile}:28:13`],
    ['group_vars_workers', 'group_vars/workers', `${fixture('group_vars/workers.yaml')}:1:1`],
    ['host_inventory', 'host inventory', `${inventoryFile}:35:15`],
    ['host_vars_w1', 'host_vars/w1', `${fixture('host_vars/w1.yaml')}:1:1`],
    ['extra_vars', 'extra vars', 'extra vars'],
  ])('%s is won by %s', async (key, winner, origin) => {
    const inventory = await load();
    expect(inventory.hosts.get('w1')?.vars[key]).toBe(winner);
    expect(inventory.origin('w1', key)).toBe(origin);
  });
});

describe('group merge order', () => {
  /** Host h in each of `groups` (name → vars as a YAML flow mapping), all children of `all`. */
  const hostInGroupsFiles = (groups: Record<string, string>) =>
    hostsFile(
      'all:',
      '  children:',
      ...Object.entries(groups).flatMap(([name, vars]) => [`    ${name}:`, `      vars: ${vars}`, '      hosts:', '        h:']),
    );
  const hostInGroups = (groups: Record<string, string>) => loadTree(hostInGroupsFiles(groups));

  it('merges a child group after its parent, whatever their names', async () => {
    const inventory = await loadTree(
      hostsFile(
        'all:',
        '  children:',
        '    z_parent:',
        '      vars: { site: parent }',
        '      children:',
        '        a_child:',
        '          vars: { site: child }',
        '          hosts:',
        '            h:',
      ),
    );
    expect(inventory.hosts.get('h')?.groups).toEqual(['all', 'z_parent', 'a_child']);
    expect(inventory.hosts.get('h')?.vars.site).toBe('child');
  });

  it('merges groups of the same depth by name when priorities are equal', async () => {
    const inventory = await hostInGroups({ beta: '{ site: beta }', alpha: '{ site: alpha }' });
    expect(inventory.hosts.get('h')?.groups).toEqual(['all', 'alpha', 'beta']);
    expect(inventory.hosts.get('h')?.vars.site).toBe('beta');
  });

  it('merges a group with a higher ansible_group_priority later', async () => {
    const inventory = await hostInGroups({
      alpha: '{ site: alpha, ansible_group_priority: 10 }',
      beta: '{ site: beta }',
    });
    expect(inventory.hosts.get('h')?.groups).toEqual(['all', 'beta', 'alpha']);
    expect(inventory.hosts.get('h')?.vars.site).toBe('alpha');
  });

  it('takes ansible_group_priority from group_vars/ files too', async () => {
    const inventory = await loadTree({
      ...hostInGroupsFiles({ alpha: '{ site: alpha }', beta: '{ site: beta }' }),
      'group_vars/beta.yaml': 'ansible_group_priority: 0\n',
    });
    expect(inventory.hosts.get('h')?.vars.site).toBe('alpha');
  });

  it('replaces whole values rather than merging mappings (hash_behaviour=replace)', async () => {
    const inventory = await loadTree(
      hostsFile('all:', '  vars:', '    labels: { zone: a, disk: hdd }', '  hosts:', '    h:', '      labels: { disk: ssd }'),
    );
    expect(inventory.hosts.get('h')?.vars.labels).toEqual({ disk: 'ssd' });
  });

  it('lets a later definition of the same host override an earlier one', async () => {
    const inventory = await loadTree(
      hostsFile('g1:', '  hosts:', '    h: { role: first, keep: 1 }', 'g2:', '  hosts:', '    h: { role: second }'),
    );
    expect(inventory.hosts.get('h')?.vars).toEqual({ role: 'second', keep: 1 });
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

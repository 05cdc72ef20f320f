import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadError, loadTree, writeTree } from './fixtures/tree.js';
import { loadInventory } from './index.js';

const homelab = fileURLToPath(new URL('./fixtures/homelab/inventory.yaml', import.meta.url));
const hostsYaml = 'all:\n  children:\n    web:\n      hosts:\n        web1:\n';

describe('group_vars/ and host_vars/', () => {
  it('reads group_vars/<group>.yml, .yaml and .json files', async () => {
    const { hosts } = await loadInventory([homelab]);
    expect(hosts.get('gw1')?.vars).toMatchObject({
      dns_servers: ['10.0.0.2', '10.0.0.3'], // group_vars/all.yml
      keepalived_interface: 'eth0', // group_vars/gateways.json
    });
  });

  it('merges the files of a group_vars/<group>/ directory in lexical order, skipping hidden files', async () => {
    const inventory = await loadInventory([homelab]);
    expect(inventory.groups.get('k8s')?.vars).toMatchObject({ cluster_name: 'home', kube_version: '1.31' });
    expect(inventory.origin('worker1', 'kube_version')).toBe(
      path.join(path.dirname(homelab), 'group_vars/k8s/20-versions.yaml:1:1'),
    );
  });

  it('reads nested directories and extension-less files, ignoring other extensions and backups', async () => {
    const { hosts } = await loadTree({
      'hosts.yaml': hostsYaml,
      'group_vars/web/a/1.yml': 'from: a/1.yml\n',
      'group_vars/web/b': 'from: b\nb: 1\n',
      'group_vars/web/c.md': 'from: notes\n',
      'group_vars/web/c.yml~': 'from: backup\n',
    });
    expect(hosts.get('web1')?.vars).toEqual({ from: 'b', b: 1 });
  });

  it('reads host_vars/<host> files and directories', async () => {
    const { hosts } = await loadTree({
      'hosts.yaml': 'all:\n  hosts:\n    h1:\n    h2:\n',
      'host_vars/h1.yaml': 'role: file\n',
      'host_vars/h2/main.yml': 'role: directory\n',
    });
    expect(hosts.get('h1')?.vars.role).toBe('file');
    expect(hosts.get('h2')?.vars.role).toBe('directory');
  });

  it('reads the vars directories beside each inventory file, in inventory order', async () => {
    const dir = await writeTree({
      'site/hosts.yaml': hostsYaml,
      'site/group_vars/web.yaml': 'owner: site\nsite_only: true\n',
      'lab/hosts.yaml': hostsYaml,
      'lab/group_vars/web.yaml': 'owner: lab\n',
    });
    const inventory = await loadInventory([path.join(dir, 'site/hosts.yaml'), path.join(dir, 'lab/hosts.yaml')]);
    expect(inventory.hosts.get('web1')?.vars).toMatchObject({ owner: 'lab', site_only: true });
  });

  it('ignores vars files of unknown groups and hosts', async () => {
    const { hosts } = await loadTree({ 'hosts.yaml': hostsYaml, 'group_vars/db.yaml': 'x: 1\n' });
    expect(hosts.get('web1')?.vars).toEqual({});
  });

  it('refuses two sources of variables for the same group rather than ignoring one', async () => {
    const message = await loadError({
      'hosts.yaml': hostsYaml,
      'group_vars/web.yaml': 'a: 1\n',
      'group_vars/web/main.yaml': 'a: 2\n',
    });
    expect(message).toBe(
      'group_vars/web and group_vars/web.yaml both hold variables of "web": keep only one of them',
    );
  });
});

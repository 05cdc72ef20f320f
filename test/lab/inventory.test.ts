import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inventoryYaml } from './inventory.js';

const options = { keyPath: '/lab/id_ed25519', knownHostsPath: '/lab/known_hosts' };

describe('lab inventory', () => {
  it('lists each host under every group it is in, with its SSH settings and vars', () => {
    const text = inventoryYaml(
      [
        { name: 'gw1', ip: '10.0.0.2', groups: ['gateways', 'k8s'], vars: { vip: '10.0.0.10' } },
        { name: 'x1', ip: '10.0.0.3', groups: [] },
      ],
      { ...options, user: 'lab' },
    );
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors or aliases for the repeated host
    const { children } = parse(text).all;
    const gw1 = {
      ansible_host: '10.0.0.2',
      ansible_user: 'lab',
      ansible_become: true,
      ansible_ssh_private_key_file: '/lab/id_ed25519',
      known_hosts_file: '/lab/known_hosts',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/lab/known_hosts -o StrictHostKeyChecking=yes',
      vip: '10.0.0.10',
    };
    expect(children.gateways.hosts.gw1).toEqual(gw1);
    expect(children.k8s.hosts.gw1).toEqual(gw1);
    expect(children.ungrouped.hosts.x1.ansible_host).toBe('10.0.0.3');
  });

  it('logs in as root without become when asked to', () => {
    const host = parse(inventoryYaml([{ name: 'h', ip: '10.0.0.2', groups: ['g'] }], { ...options, user: 'root' })).all.children.g.hosts.h;
    expect(host.ansible_user).toBe('root');
    expect(host).not.toHaveProperty('ansible_become');
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { networking } from './index.js';
import { buildModel } from './model.js';
import { renderNetplan, renderNetworkd } from './render.js';
import type { NetworkingVars } from './vars.js';

/**
 * The files the role generates for the example inventories (config text only:
 * these addresses never see a packet). Seed 000 (Debvisor): every node's NIC
 * enp1s0 is a port of br0, STP on.
 */
const DEBVISOR = join(import.meta.dirname, '../../inventory/examples/debvisor.yaml');

async function varsOf(host: string, params: Record<string, unknown> = {}): Promise<NetworkingVars> {
  const inventory = await loadInventory([DEBVISOR]);
  return resolveRoleVars(networking.with(params), inventory.hosts.get(host)!, inventory) as NetworkingVars;
}

type Doc = { network: Record<string, unknown> & { ethernets: Record<string, Record<string, unknown>>; bridges: Record<string, Record<string, unknown>> } };

describe('debvisor: bridge ports carry no IP of their own', () => {
  it('networkd: the port has no IPv6 link-local address and ignores router advertisements', async () => {
    const files = renderNetworkd(buildModel(await varsOf('node1')));
    expect(files.get('/etc/systemd/network/10-labwright-enp1s0.network')).toBe(
      '# Managed by labwright (role networking): local changes are overwritten.\n' +
        '[Match]\nName=enp1s0\n\n[Link]\nMTUBytes=1500\n\n[Network]\nBridge=br0\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n',
    );
  });

  it('Netplan: the port says no DHCP, no RA, no link-local; the renderer is set per device, never globally', async () => {
    const doc = parseYaml(renderNetplan(buildModel(await varsOf('node1', { renderer: 'netplan' })))) as Doc;
    expect(doc.network.renderer).toBeUndefined();
    expect(doc.network.ethernets.enp1s0).toEqual({ renderer: 'networkd', dhcp4: false, dhcp6: false, 'accept-ra': false, 'link-local': [], mtu: 1500 });
    expect(doc.network.bridges.br0).toMatchObject({ renderer: 'networkd', interfaces: ['enp1s0'], dhcp4: false, dhcp6: false });
  });
});

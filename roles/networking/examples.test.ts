import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { modelFor, networking } from './index.js';
import { renderNetplan, renderNetworkd } from './render.js';
import { networkingVars, type NetworkingVars } from './vars.js';

/**
 * The files the role generates for the example inventories (config text only:
 * these addresses never see a packet). Seed 000 (Debvisor): every node's NIC
 * enp1s0 is a port of br0, STP on.
 */
const DEBVISOR = join(import.meta.dirname, '../../inventory/examples/debvisor.yaml');

/** The links the role builds for an example host. */
async function linksOf(name: string, params: Record<string, unknown> = {}) {
  const inventory = await loadInventory([DEBVISOR]);
  const host = inventory.hosts.get(name)!;
  return modelFor(resolveRoleVars(networking.with(params), host, inventory) as NetworkingVars, host);
}

type Doc = { network: Record<string, unknown> & { ethernets: Record<string, Record<string, unknown>>; bridges: Record<string, Record<string, unknown>> } };

describe('debvisor: bridge ports carry no IP of their own', () => {
  it('networkd: the port has no IPv6 link-local address and ignores router advertisements', async () => {
    const files = renderNetworkd(await linksOf('node1'));
    expect(files.get('/etc/systemd/network/10-labwright-enp1s0.network')).toBe(
      '# Managed by labwright (role networking): local changes are overwritten.\n' +
        '[Match]\nName=enp1s0\n\n[Link]\nMTUBytes=1500\n\n[Network]\nBridge=br0\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n',
    );
  });

  it('Netplan: the port says no DHCP, no RA, no link-local; the renderer is set per device, never globally', async () => {
    const doc = parseYaml(renderNetplan(await linksOf('node1', { renderer: 'netplan' }))) as Doc;
    expect(doc.network.renderer).toBeUndefined();
    expect(doc.network.ethernets.enp1s0).toEqual({ renderer: 'networkd', dhcp4: false, dhcp6: false, 'accept-ra': false, 'link-local': [], mtu: 1500 });
    expect(doc.network.bridges.br0).toMatchObject({ renderer: 'networkd', interfaces: ['enp1s0'], dhcp4: false, dhcp6: false });
  });
});

describe('debvisor: STP bridges that forward within seconds, with a MAC that never moves', () => {
  it('networkd: ForwardDelaySec=4 and MaxAgeSec=6 with STP on; br0 keeps the host\'s own MAC (its DHCP reservation)', async () => {
    const files = renderNetworkd(await linksOf('node1'));
    expect(files.get('/etc/systemd/network/10-labwright-br0.netdev')).toBe(
      '# Managed by labwright (role networking): local changes are overwritten.\n' +
        '[NetDev]\nName=br0\nKind=bridge\nMACAddress=aa:bb:cc:dd:ee:01\n\n[Bridge]\nSTP=yes\nForwardDelaySec=4\nMaxAgeSec=6\n',
    );
  });

  it('a host without a `mac` var gets a stable locally administered MAC of its own, per host and bridge', async () => {
    const [a, b] = [(await linksOf('monitor')).find((l) => l.name === 'br0')!.mac!, (await linksOf('monitor')).find((l) => l.name === 'br0')!.mac!];
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(parseInt(a.slice(0, 2), 16) & 0x03).toBe(0x02); // unicast, locally administered
    expect(renderNetworkd(await linksOf('monitor')).get('/etc/systemd/network/10-labwright-br0.netdev')).toContain(`MACAddress=${a}\n`);
  });

  it('Netplan: forward-delay 4, max-age 6 and macaddress on the bridge', async () => {
    const doc = parseYaml(renderNetplan(await linksOf('node1', { renderer: 'netplan' }))) as Doc;
    expect(doc.network.bridges.br0).toMatchObject({ macaddress: 'aa:bb:cc:dd:ee:01', parameters: { stp: true, 'forward-delay': 4, 'max-age': 6 } });
  });

  it('refuses STP timers that break 802.1D\'s relations, naming the bound', () => {
    const problems = (bridge: Record<string, unknown>) => {
      const r = networkingVars.safeParse({ bridges: { br0: { stp: true, ...bridge } } });
      return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    expect(problems({})).toBe('');
    expect(problems({ forward_delay: 15, max_age: 20 })).toBe('');
    expect(problems({ forward_delay: 2 })).toContain('bridges.br0.forward_delay: 802.1D needs 2 × (forward_delay − 1) ≥ max_age: forward delay 2 s allows a max age of at most 2 s, not 6 s');
    expect(problems({ hello_time: 3 })).toContain('bridges.br0.max_age: 802.1D needs max_age ≥ 2 × (hello_time + 1): with hello time 3 s the max age must be at least 8 s, not 6 s');
  });
});

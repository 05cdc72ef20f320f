import { describe, expect, it } from 'vitest';
import { parseLinks } from '../../src/net/link-state.js';
import { liveDrift, previousFromNetplan, previousFromNetworkd } from './config-op.js';
import { globRegExp, liveModel, matchOfNetworkFile, nicMatches } from './match.js';
import { buildModel } from './model.js';
import { renderNetplan, renderNetworkd } from './render.js';
import { networkingVars, type NetworkingInput } from './vars.js';
import { parse as parseYaml } from 'yaml';

/**
 * NIC matching (seed 000 finds its NIC at first boot: `ens*`/`enp*`): the
 * schema, the networkd `[Match]` and Netplan `match:` renderings, and how a
 * configuration found by match is resolved to the live links the activation,
 * drift check and rollback act on.
 */
const parse = (v: NetworkingInput) => networkingVars.parse(v);
const issues = (v: NetworkingInput) => {
  const r = networkingVars.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const seed000 = { bridges: { br0: { interfaces: ['uplink'], addresses: ['10.10.20.10/24'], gateway: '10.10.20.1', stp: true } }, interfaces: { uplink: { match: { name: 'en*' } } } };

describe('the match var', () => {
  it('refuses an empty match, set_name without a MAC or with networkd, a glob with static addresses, a match on a bridge', () => {
    expect(issues({ interfaces: { nic: { match: {} } } })).toEqual(['interfaces.nic.match: match needs name, mac or driver']);
    expect(issues({ renderer: 'netplan', interfaces: { lan0: { match: { driver: 'e1000e' }, set_name: true } } })).toEqual(['interfaces.lan0.set_name: set_name needs match.mac: only a MAC names one NIC for certain']);
    expect(issues({ interfaces: { lan0: { match: { mac: '52:54:00:12:34:56' }, set_name: true } } })[0]).toMatch(/^interfaces\.lan0\.set_name: renaming is rendered for Netplan only/);
    expect(issues({ interfaces: { nic: { match: { name: 'en*' }, addresses: ['10.0.0.2/24'] } } })[0]).toMatch(/^interfaces\.nic\.addresses: match\.name en\* may match several NICs/);
    expect(issues({ bridges: { br0: { match: { name: 'en*' } } } as never })[0]).toMatch(/^bridges\.br0: Unrecognized key: "match"/);
    expect(issues({ interfaces: { nic: { match: { name: 'en p*' } } } })[0]).toMatch(/^interfaces\.nic\.match\.name: a name or shell glob/);
    expect(issues({ interfaces: { nic: { match: { mac: '52:54:00:12:34' } } } })[0]).toMatch(/^interfaces\.nic\.match\.mac: expected a MAC address/);
  });
});

describe('rendering', () => {
  it('networkd: [Match] by name glob, MAC (normalised) and driver; a NIC without match by its name', () => {
    const files = renderNetworkd(
      buildModel(parse({ ...seed000, interfaces: { uplink: { match: { name: 'en*', driver: 'virtio_net' } }, mgmt: { match: { mac: '52-54-00-AA-BB-01' }, dhcp: true }, eth9: { dhcp: true } } })),
    );
    expect(files.get('/etc/systemd/network/10-labwright-uplink.network')).toMatch(/^\[Match\]\nName=en\*\nDriver=virtio_net\n\n/m);
    expect(files.get('/etc/systemd/network/10-labwright-uplink.network')).toContain('Bridge=br0');
    expect(files.get('/etc/systemd/network/10-labwright-mgmt.network')).toMatch(/^\[Match\]\nPermanentMACAddress=52:54:00:aa:bb:01\n\n/m);
    expect(files.get('/etc/systemd/network/10-labwright-eth9.network')).toMatch(/^\[Match\]\nName=eth9\n\n/m);
  });

  it('Netplan: match with name/macaddress/driver, set-name to the key only when asked', () => {
    const doc = parseYaml(
      renderNetplan(buildModel(parse({ renderer: 'netplan', interfaces: { lan0: { match: { mac: '52:54:00:aa:bb:01' }, set_name: true, dhcp: true }, wan: { match: { driver: 'igb*', name: 'en*' }, dhcp: true } } }))),
    ) as { network: { ethernets: Record<string, Record<string, unknown>> } };
    expect(doc.network.ethernets.lan0.match).toEqual({ macaddress: '52:54:00:aa:bb:01' });
    expect(doc.network.ethernets.lan0['set-name']).toBe('lan0');
    expect(doc.network.ethernets.wan.match).toEqual({ name: 'en*', driver: 'igb*' });
    expect(doc.network.ethernets.wan['set-name']).toBeUndefined();
  });
});

describe('globs as networkd reads them', () => {
  it.each([
    ['en*', 'enp1s0', true],
    ['en*', 'eth0', false],
    ['enp?s0', 'enp3s0', true],
    ['enp?s0', 'enp10s0', false],
    ['eth[01]', 'eth1', true],
    ['eth[!01]', 'eth1', false],
    ['br0.100', 'br0x100', false],
  ])('%s on %s: %s', (glob, name, fits) => {
    expect(globRegExp(glob).test(name)).toBe(fits);
  });

  it('every key given must fit; a driver match needs the driver', () => {
    expect(nicMatches({ name: 'en*', mac: '52:54:00:aa:bb:01' }, { name: 'enp1s0', mac: '52:54:00:aa:bb:01' }, undefined)).toBe(true);
    expect(nicMatches({ name: 'en*', mac: '52:54:00:aa:bb:01' }, { name: 'enp1s0', mac: '52:54:00:aa:bb:02' }, undefined)).toBe(false);
    expect(nicMatches({ driver: 'virtio*' }, { name: 'enp1s0' }, 'virtio_net')).toBe(true);
    // a bond member carries the bond's MAC: its own is the permanent one
    expect(nicMatches({ mac: '52:54:00:aa:bb:02' }, { name: 'enp2s0', mac: '52:54:00:aa:bb:01', permanentMac: '52:54:00:aa:bb:02' }, undefined)).toBe(true);
    // a veth has no permanent MAC (networkd's PermanentMACAddress= never fits it, as the lab showed)
    expect(nicMatches({ mac: '52:54:00:aa:bb:03' }, { name: 'lwport0', mac: '52:54:00:aa:bb:03', kind: 'veth' }, undefined)).toBe(false);
    expect(nicMatches({ driver: 'virtio*' }, { name: 'br0' }, undefined)).toBe(false);
  });
});

describe('resolving a match to the live links', () => {
  const ip = (links: object[]) => parseLinks(JSON.stringify(links));
  const live = ip([
    { ifindex: 1, ifname: 'lo', flags: ['UP'], mtu: 65536, operstate: 'UNKNOWN', address: '00:00:00:00:00:00' },
    { ifindex: 2, ifname: 'enp1s0', flags: ['UP'], mtu: 1500, operstate: 'UP', address: '52:54:00:aa:bb:01', master: 'br0' },
    { ifindex: 3, ifname: 'wlp2s0', flags: ['UP'], mtu: 1500, operstate: 'UP', address: '52:54:00:aa:bb:02' },
    { ifindex: 4, ifname: 'br0', flags: ['UP'], mtu: 1500, operstate: 'UP', linkinfo: { info_kind: 'bridge', info_data: { stp_state: 1 } }, addr_info: [{ family: 'inet', local: '10.10.20.10', prefixlen: 24, scope: 'global' }] },
  ]);

  it('a NIC found by match acts under its kernel name, its configuration keeps the key', () => {
    const model = liveModel(buildModel(parse(seed000)), live, {});
    expect(model.map((l) => [l.name, l.config])).toEqual([
      ['enp1s0', 'uplink'],
      ['br0', undefined],
    ]);
    // networkd reports our uplink file for enp1s0: no drift; another file would be
    const ours = [
      { name: 'enp1s0', state: 'configured', operational: 'enslaved', networkFile: '/etc/systemd/network/10-labwright-uplink.network' },
      { name: 'br0', state: 'configured', operational: 'routable', networkFile: '/etc/systemd/network/10-labwright-br0.network' },
    ];
    expect(liveDrift(model, live, ours, 'networkd').reasons).toEqual([]);
    const theirs = [{ ...ours[0], networkFile: '/etc/systemd/network/05-enp1s0.network' }, ours[1]];
    expect(liveDrift(model, live, theirs, 'networkd').reasons).toEqual(['enp1s0 is configured by /etc/systemd/network/05-enp1s0.network']);
  });

  it('by driver, through the drivers fact; a match that fits nothing leaves nothing to act on', () => {
    const byDriver = parse({ interfaces: { wifi: { match: { driver: 'iwlwifi' }, dhcp: true } } });
    expect(liveModel(buildModel(byDriver), live, { enp1s0: 'virtio_net', wlp2s0: 'iwlwifi' }).map((l) => l.name)).toEqual(['wlp2s0']);
    expect(liveModel(buildModel(byDriver), live, { enp1s0: 'virtio_net' })).toEqual([]);
  });

  it('reads the match back from the files in place (for the rollback of the NICs they held)', () => {
    const model = buildModel(parse({ interfaces: { mgmt: { match: { mac: '52:54:00:aa:bb:01' }, dhcp: true }, eth9: { dhcp: true } } }));
    const prev = previousFromNetworkd(renderNetworkd(model));
    expect([...prev.nics].sort()).toEqual(['eth9', 'mgmt']);
    expect(prev.matches).toEqual(new Map([['mgmt', { mac: '52:54:00:aa:bb:01' }]]));
    expect(matchOfNetworkFile('[Match]\nName=eth9\n\n[Network]\nDHCP=ipv4\n', 'eth9')).toBeUndefined();
    const netplanPrev = previousFromNetplan(renderNetplan(buildModel(parse({ renderer: 'netplan', interfaces: { wan: { match: { name: 'en*', driver: 'igb' }, dhcp: true } } }))));
    expect(netplanPrev.matches).toEqual(new Map([['wan', { name: 'en*', driver: 'igb' }]]));
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseLinks } from '../../src/net/link-state.js';
import { sh } from '../../src/shell/quote.js';
import { activationScript } from './activate.js';
import { liveDrift, previousFromNetplan, previousFromNetworkd } from './config-op.js';
import { buildModel } from './model.js';
import { renderNetplan, renderNetworkd } from './render.js';
import { networkingVars, type NetworkingInput } from './vars.js';

const parse = (v: NetworkingInput) => networkingVars.parse(v);
const errors = (v: NetworkingInput) => {
  const r = networkingVars.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** The seed design "bond0 (LACP) → br0 (fixed MAC, jumbo frames) → br0.100". */
const homelab: NetworkingInput = {
  bonds: { bond0: { interfaces: ['enp1s0', 'enp2s0'], mode: '802.3ad', lacp_rate: 'fast', hash_policy: 'layer3+4' } },
  bridges: {
    br0: {
      interfaces: ['bond0'],
      mac: '02:00:0A:04:00:0B',
      mtu: 9000,
      addresses: ['10.4.0.11/20'],
      gateway: '10.4.0.1',
      dns: ['10.4.0.1'],
      domains: ['nodes.goldentooth.net'],
      stp: true,
      forward_delay: 4,
    },
  },
  vlans: { 'br0.100': { addresses: ['10.100.0.11/24'] } },
};

describe('networking vars', () => {
  it('derives VLAN id and parent from the name, and ports inherit the master MTU', () => {
    const model = buildModel(parse(homelab));
    const byName = new Map(model.map((l) => [l.name, l]));
    expect(byName.get('br0.100')!.vlan).toEqual({ id: 100, link: 'br0' });
    expect(byName.get('br0')!.vlans).toEqual(['br0.100']);
    expect(byName.get('bond0')!.master).toEqual({ name: 'br0', kind: 'bridge' });
    expect(byName.get('bond0')!.mtu).toBe(9000);
    expect(byName.get('enp1s0')).toMatchObject({ kind: 'ethernet', master: { name: 'bond0', kind: 'bond' }, mtu: 9000 });
    expect(byName.get('br0')!.mac).toBe('02:00:0a:04:00:0b');
    expect(model.map((l) => l.name)).toEqual(['enp1s0', 'enp2s0', 'bond0', 'br0', 'br0.100']);
  });

  it('defaults: networkd, STP off, active-backup with miimon 100, 60 s rollback', () => {
    const v = parse({ bridges: { br0: {} }, bonds: { bond1: { interfaces: ['eth1'] } } });
    expect(v.renderer).toBe('networkd');
    expect(v.bridges.br0.stp).toBe(false);
    expect(v.bonds.bond1).toMatchObject({ mode: 'active-backup', miimon: 100 });
    expect(v.rollback_after).toBe(60);
  });

  it('rejects what networkd or the kernel would refuse, saying where', () => {
    expect(errors({ interfaces: { eth0: { addresses: ['10.0.0.5'] } } })).toEqual(['interfaces.eth0.addresses.0: expected an address with prefix such as 10.4.0.11/20']);
    expect(errors({ interfaces: { eth0: { addresses: ['10.0.0.5/24'], gateway: '10.1.0.1' } } })[0]).toContain('gateway 10.1.0.1 is in none of the subnets');
    expect(errors({ interfaces: { eth0: { addresses: ['10.0.0.5/24'], gateway: '10.1.0.1', gateway_onlink: true } } })).toEqual([]);
    // ipaddr.js would read "10.1.0" as 10.1.0.0: refused
    expect(errors({ interfaces: { eth0: { addresses: ['10.0.0.5/24'], gateway: '10.1.0' } } })).toEqual(['interfaces.eth0.gateway: expected an IP address such as 10.4.0.1']);
    expect(errors({ bridges: { br0: { interfaces: ['eth1'] } }, interfaces: { eth1: { addresses: ['10.0.0.5/24'] } } })[0]).toContain('eth1 is a port of br0');
    expect(errors({ bridges: { br0: { interfaces: ['eth1'] }, br1: { interfaces: ['eth1'] } } })[0]).toContain('eth1 is already a port of br0');
    expect(errors({ vlans: { 'eth0.7': {} } })[0]).toContain('parent eth0 is not declared');
    expect(errors({ vlans: { mgmt: { link: 'eth0' } }, interfaces: { eth0: {} } })[0]).toContain('no VLAN id');
    expect(errors({ bonds: { bond0: { interfaces: ['eth1'], lacp_rate: 'fast' } } })[0]).toContain('lacp_rate applies only to mode 802.3ad');
    expect(errors({ bonds: { bond0: { interfaces: ['eth1'], primary: 'eth2' } } })[0]).toContain('eth2 is not one of the bond');
    expect(errors({ bridges: { br0: { stp: true, forward_delay: 0 } } })[0]).toContain('forward delay of 2–30 s');
    expect(errors({ bridges: { br0: { interfaces: ['eth1'], mtu: 9000 } }, interfaces: { eth1: { mtu: 1500 } } })[0]).toContain('smaller than its master br0');
    expect(errors({ interfaces: { eth0: { mtu: 1500 } }, vlans: { 'eth0.5': { mtu: 9000 } } })[0]).toContain('larger than its parent eth0');
    expect(errors({ interfaces: { eth0: { addresses: ['10.0.0.5/24'], gateway: '10.0.0.1' }, eth1: { addresses: ['10.1.0.5/24'], gateway: '10.1.0.1' } } })[0]).toContain('more than one IPv4 default gateway');
    expect(errors({ interfaces: { eth0: {} }, bridges: { eth0: {} } })[0]).toContain('eth0 is declared twice');
    expect(errors({ interfaces: { 'this-name-is-too-long': {} } })[0]).toContain('is not an interface name');
    expect(errors({ renderer: 'netplan', dummies: { lb0: {} } })[0]).toContain('networkd only');
    expect(errors({ interfaces: { eth0: { mac: 'zz' } } })[0]).toContain('expected a MAC address');
    expect(errors({ bonds: { bond0: { interfaces: ['br0'] } }, bridges: { br0: {} } })[0]).toContain("a bond's members are NICs");
  });
});

describe('systemd-networkd files', () => {
  const files = renderNetworkd(buildModel(parse(homelab)));

  it('writes one .netdev per created link and one .network per link, named to sort first', () => {
    expect([...files.keys()].sort()).toEqual(
      [
        '10-labwright-bond0.netdev',
        '10-labwright-bond0.network',
        '10-labwright-br0.100.netdev',
        '10-labwright-br0.100.network',
        '10-labwright-br0.netdev',
        '10-labwright-br0.network',
        '10-labwright-enp1s0.network',
        '10-labwright-enp2s0.network',
      ].map((f) => `/etc/systemd/network/${f}`),
    );
  });

  it('renders bridge, bond, VLAN and port settings', () => {
    const get = (f: string) => files.get(`/etc/systemd/network/10-labwright-${f}`)!;
    expect(get('br0.netdev')).toBe(
      '# Managed by labwright (role networking): local changes are overwritten.\n' +
        '[NetDev]\nName=br0\nKind=bridge\nMACAddress=02:00:0a:04:00:0b\n\n[Bridge]\nSTP=yes\nForwardDelaySec=4\nMaxAgeSec=6\n',
    );
    expect(get('bond0.netdev')).toContain('[Bond]\nMode=802.3ad\nLACPTransmitRate=fast\nMIIMonitorSec=100ms\nTransmitHashPolicy=layer3+4\n');
    expect(get('br0.100.netdev')).toContain('[NetDev]\nName=br0.100\nKind=vlan\n\n[VLAN]\nId=100\n');
    expect(get('br0.network')).toContain(
      '[Match]\nName=br0\n\n[Link]\nMTUBytes=9000\n\n[Network]\nAddress=10.4.0.11/20\nGateway=10.4.0.1\nDNS=10.4.0.1\nDomains=nodes.goldentooth.net\nVLAN=br0.100\n',
    );
    expect(get('bond0.network')).toContain('[Link]\nMTUBytes=9000\n\n[Network]\nBridge=br0\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n');
    expect(get('enp1s0.network')).toContain('[Match]\nName=enp1s0\n\n[Link]\nMTUBytes=9000\n\n[Network]\nBond=bond0\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n');
    expect(get('enp1s0.network')).not.toContain('Address=');
  });

  it('writes STP=no explicitly, DHCP, onlink gateways as [Route], ConfigureWithoutCarrier, NIC MACs in [Link], primary ports', () => {
    const f = renderNetworkd(
      buildModel(
        parse({
          bridges: { br1: { dhcp: true, ignore_carrier: true } },
          interfaces: { eth0: { addresses: ['203.0.113.10/32'], gateway: '203.0.113.1', gateway_onlink: true, mac: '02:00:00:00:00:09' } },
          bonds: { bond1: { interfaces: ['eth2', 'eth3'], primary: 'eth3' } },
        }),
      ),
    );
    expect(f.get('/etc/systemd/network/10-labwright-br1.netdev')).toContain('STP=no');
    expect(f.get('/etc/systemd/network/10-labwright-br1.network')).toContain('[Network]\nDHCP=ipv4\nConfigureWithoutCarrier=yes\n');
    expect(f.get('/etc/systemd/network/10-labwright-eth0.network')).toContain('[Link]\nMACAddress=02:00:00:00:00:09\n');
    expect(f.get('/etc/systemd/network/10-labwright-eth0.network')).toContain('[Route]\nGateway=203.0.113.1\nGatewayOnLink=yes\n');
    expect(f.get('/etc/systemd/network/10-labwright-eth0.network')).not.toMatch(/^Gateway=.*\n(?!GatewayOnLink)/m);
    expect(f.get('/etc/systemd/network/10-labwright-eth3.network')).toContain('Bond=bond1\nPrimarySlave=yes\n');
    expect(f.get('/etc/systemd/network/10-labwright-eth2.network')).not.toContain('PrimarySlave');
  });
});

describe('Netplan file', () => {
  const text = renderNetplan(buildModel(parse(homelab)));
  const doc = parseYaml(text) as { network: Record<string, Record<string, Record<string, unknown>>> };

  it('has every link in its section with the reference keys', () => {
    expect(text.startsWith('# Managed by labwright')).toBe(true);
    expect(doc.network.version).toBe(2);
    expect(Object.keys(doc.network.ethernets)).toEqual(['enp1s0', 'enp2s0']);
    const port = { renderer: 'networkd', dhcp4: false, dhcp6: false, 'accept-ra': false, 'link-local': [] };
    expect(doc.network.ethernets.enp1s0).toEqual({ ...port, mtu: 9000 });
    expect(doc.network.bonds.bond0).toEqual({
      ...port,
      interfaces: ['enp1s0', 'enp2s0'],
      mtu: 9000,
      parameters: { mode: '802.3ad', 'mii-monitor-interval': 100, 'lacp-rate': 'fast', 'transmit-hash-policy': 'layer3+4' },
    });
    expect(doc.network.bridges.br0).toEqual({
      renderer: 'networkd',
      interfaces: ['bond0'],
      addresses: ['10.4.0.11/20'],
      dhcp4: false,
      dhcp6: false,
      routes: [{ to: 'default', via: '10.4.0.1' }],
      nameservers: { addresses: ['10.4.0.1'], search: ['nodes.goldentooth.net'] },
      mtu: 9000,
      macaddress: '02:00:0a:04:00:0b',
      parameters: { stp: true, 'forward-delay': 4, 'max-age': 6 },
    });
    expect(doc.network.vlans['br0.100']).toMatchObject({ id: 100, link: 'br0', addresses: ['10.100.0.11/24'] });
  });

  it('says stp: false explicitly (Netplan would turn STP on)', () => {
    const d = parseYaml(renderNetplan(buildModel(parse({ renderer: 'netplan', bridges: { br0: {} } })))) as { network: { bridges: { br0: { parameters: unknown } } } };
    expect(d.network.bridges.br0.parameters).toEqual({ stp: false });
  });

  it('reads back the same created links, ports and NICs it wrote', () => {
    const prev = previousFromNetplan(text);
    expect([...prev.nics].sort()).toEqual(['enp1s0', 'enp2s0']);
    expect(prev.ports.get('bond0')).toBe('br0');
    expect(prev.ports.get('enp2s0')).toBe('bond0');
    expect([...prev.virtual.keys()].sort()).toEqual(['bond0', 'br0', 'br0.100']);
  });
});

describe('previous networkd configuration', () => {
  it('reads created links, NICs and ports from the file names and contents', () => {
    const files = renderNetworkd(buildModel(parse(homelab)));
    const prev = previousFromNetworkd(files);
    expect([...prev.virtual.keys()].sort()).toEqual(['bond0', 'br0', 'br0.100']);
    expect(prev.virtual.get('br0')).toBe(files.get('/etc/systemd/network/10-labwright-br0.netdev'));
    expect([...prev.nics].sort()).toEqual(['enp1s0', 'enp2s0']);
    expect(prev.ports).toEqual(new Map([['bond0', 'br0'], ['enp1s0', 'bond0'], ['enp2s0', 'bond0']]));
  });
});

describe('live drift', () => {
  const model = buildModel(parse({ bridges: { br0: { interfaces: ['lwport0'], stp: true, mtu: 1400, addresses: ['192.0.2.1/24'] } } }));
  const ip = (links: object[]) => parseLinks(JSON.stringify(links));
  const managed = [
    { name: 'br0', state: 'configured', operational: 'routable', networkFile: '/etc/systemd/network/10-labwright-br0.network' },
    { name: 'lwport0', state: 'configured', operational: 'enslaved', networkFile: '/etc/systemd/network/10-labwright-lwport0.network' },
  ];
  const good = [
    { ifindex: 5, ifname: 'br0', flags: ['UP'], mtu: 1400, operstate: 'UP', linkinfo: { info_kind: 'bridge', info_data: { stp_state: 1 } }, addr_info: [{ family: 'inet', local: '192.0.2.1', prefixlen: 24, scope: 'global' }] },
    { ifindex: 3, ifname: 'lwport0', flags: ['UP'], mtu: 1400, operstate: 'UP', master: 'br0', linkinfo: { info_kind: 'veth' } },
  ];

  it('none when the links are as configured', () => {
    expect(liveDrift(model, ip(good), managed, 'networkd')).toEqual({ recreate: [], reconfigure: [], reasons: [] });
  });

  it('re-creates a bridge with the wrong STP, reconfigures a port out of its bridge and a link without its address', () => {
    const bad = structuredClone(good);
    bad[0].linkinfo.info_data = { stp_state: 0 };
    delete (bad[1] as { master?: string }).master;
    bad[1].mtu = 1500;
    const d = liveDrift(model, ip(bad), managed, 'networkd');
    expect(d.recreate).toEqual(['br0']);
    expect(d.reconfigure).toEqual(['lwport0']);
    expect(d.reasons).toEqual(['lwport0 has MTU 1500, is not a port of br0', 'br0 has STP off: re-create it']);

    const noAddr = structuredClone(good);
    noAddr[0].addr_info = [];
    expect(liveDrift(model, ip(noAddr), managed, 'networkd').reasons).toEqual(['br0 lacks address 192.0.2.1/24']);
    // without carrier networkd does not configure addresses: not drift
    noAddr[0].operstate = 'DOWN';
    expect(liveDrift(model, ip(noAddr), managed, 'networkd').reasons).toEqual([]);
  });

  it('a link networkd does not manage, or that another file configures, is drift', () => {
    expect(liveDrift(model, ip(good), [], 'networkd').reasons).toEqual(['lwport0 is not managed by systemd-networkd', 'br0 is not managed by systemd-networkd']);
    const other = [{ ...managed[0], networkFile: '/etc/systemd/network/05-mine.network' }, managed[1]];
    expect(liveDrift(model, ip(good), other, 'networkd').reasons).toEqual(['br0 is configured by /etc/systemd/network/05-mine.network']);
  });
});

describe('activation script', () => {
  const args = {
    renderer: 'networkd' as const,
    recreate: [],
    reconfigure: ['lwport0'],
    watch: [{ name: 'br0', networkFile: '/etc/systemd/network/10-labwright-br0.network', addresses: ['192.0.2.1/24'] }],
    restore: [{ name: 'eth0', command: sh`ip addr replace 172.18.0.2/16 dev eth0` }],
    settleTimeout: 5,
  };

  it('is valid sh and shows a one-line gist', () => {
    const cmd = activationScript(args);
    execFileSync('sh', ['-n', '-c', cmd.text]);
    expect(cmd.shown).toBe('networkctl reload; reconfigure lwport0; wait for br0');
    expect(cmd.text).toContain("networkctl reconfigure lwport0");
    expect(cmd.text).toContain("ip addr replace 172.18.0.2/16 dev eth0");
  });

  it('re-creating links stops networkd and its socket first, then starts both', () => {
    const cmd = activationScript({ ...args, recreate: ['br0'] });
    execFileSync('sh', ['-n', '-c', cmd.text]);
    const text = cmd.text;
    expect(text.indexOf('systemctl stop systemd-networkd.socket systemd-networkd.service')).toBeLessThan(text.indexOf('ip link del dev br0'));
    expect(text.indexOf('ip link del dev br0')).toBeLessThan(text.indexOf('systemctl start systemd-networkd.socket'));
    expect(text).not.toContain('networkctl reload');
    expect(cmd.shown).toBe('re-create br0 (networkd restarted); wait for br0');

    // Netplan: generate before networkd starts, so it creates the links from the new definitions
    const np = activationScript({ ...args, renderer: 'netplan', recreate: ['br0'], watch: [] }).text;
    execFileSync('sh', ['-n', '-c', np]);
    expect(np.indexOf('ip link del dev br0')).toBeLessThan(np.indexOf('netplan generate'));
    expect(np.indexOf('netplan generate')).toBeLessThan(np.indexOf('systemctl start systemd-networkd.socket systemd-networkd.service || exit 1'));
    expect(np.indexOf('systemctl start systemd-networkd.socket systemd-networkd.service || exit 1')).toBeLessThan(np.indexOf('netplan apply'));
  });

  it('runs: fails when networkd reports a watched link failed, restores an unmanaged NIC (networkctl faked)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-activate-'));
    // fake networkctl: "list" prints a row with the state from $dir/state-<link>
    writeFileSync(join(dir, 'networkctl'), `#!/bin/sh\ncase "$1" in list) l=$5; [ -e "${dir}/state-$l" ] && echo "1 $l ether x $(cat ${dir}/state-$l)";; esac\nexit 0\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'ip'), `#!/bin/sh\necho "ip $*" >> ${dir}/log\nexit 0\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'state-br0'), 'failed\n');
    writeFileSync(join(dir, 'state-eth0'), 'unmanaged\n');
    const cmd = activationScript({ ...args, restore: [{ name: 'eth0', command: sh`ip addr replace 172.18.0.2/16 dev eth0` }] });
    let out = '';
    let code = 0;
    try {
      out = execFileSync('sh', ['-c', cmd.text], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    } catch (e) {
      code = (e as { status: number }).status;
      out = (e as { stdout: string }).stdout;
    }
    expect(code).toBe(1);
    expect(out).toContain('br0: systemd-networkd failed to configure it');
    expect(out).toContain('eth0 is no longer managed: restoring');
    expect(execFileSync('cat', [join(dir, 'log')], { encoding: 'utf8' })).toContain('ip addr replace 172.18.0.2/16 dev eth0');
  });
});

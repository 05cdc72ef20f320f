import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { renderConfig, renderDhcpHosts, renderHosts, serveInterfaces } from './index.js';
import { dnsmasqLeases, parseLeases } from './leases.js';
import { inventoryOf, iface, LO, planOf, problems, resolve } from './test-support.js';
import { defaultRange } from './vars.js';

/** Seed 000 (Debvisor): dnsmasq on the monitor node, br0 on 10.10.20.0/24, infrastructure nodes reserved. */
const SEED_000 = `all:
  vars:
    lan: { subnet: 10.10.20.0/24, domain: debvisor.local }
  children:
    monitor:
      hosts:
        monitor1:
          ansible_host: 10.10.20.5
          dnsmasq:
            range: { start: 10.10.20.100, end: 10.10.20.254 }
            upstream: [1.1.1.1, 8.8.8.8]
    infrastructure:
      hosts:
        node1: { ansible_host: 10.10.20.10, mac: AA:BB:CC:DD:EE:01 }
        node2: { ansible_host: 10.10.20.11, mac: AA-BB-CC-DD-EE-02 }
    elsewhere:
      hosts:
        offsite: { ansible_host: 192.0.2.7, mac: aa:bb:cc:dd:ee:99 }
`;

describe('dnsmasq vars and config', () => {
  it('seed 000: range, reservations, records and forwarders from one subnet and the inventory', async () => {
    const inv = await inventoryOf(SEED_000);
    const config = resolve(inv, 'monitor1');
    expect(renderConfig(config, serveInterfaces(config, [LO, iface('br0', '10.10.20.5')], 'monitor1'))).toBe(
      `# Managed by labwright (role dnsmasq): local edits are overwritten.
# Reservations: /etc/dnsmasq.labwright/dhcp-hosts; DNS records: /etc/dnsmasq.labwright/hosts (both re-read on SIGHUP).

# Serve only br0 (and loopback), never the wildcard address.
interface=br0
bind-dynamic

# DNS
port=53
domain=debvisor.local
local=/debvisor.local/
expand-hosts
addn-hosts=/etc/dnsmasq.labwright/hosts
domain-needed
bogus-priv
no-resolv
server=1.1.1.1
server=8.8.8.8

# DHCP on 10.10.20.0/24
dhcp-range=set:lan,10.10.20.100,10.10.20.254,255.255.255.0,12h
dhcp-option=tag:lan,option:router,10.10.20.1
dhcp-hostsfile=/etc/dnsmasq.labwright/dhcp-hosts
dhcp-leasefile=/var/lib/misc/dnsmasq.leases
`,
    );
    expect(renderDhcpHosts(config)).toBe(
      `# Managed by labwright (role dnsmasq): MAC,address,name; re-read on SIGHUP.
aa:bb:cc:dd:ee:01,10.10.20.10,node1
aa:bb:cc:dd:ee:02,10.10.20.11,node2
`,
    );
    // every inventory host with an address in the subnet gets a record; offsite is elsewhere
    expect(renderHosts(config)).toBe(
      `# Managed by labwright (role dnsmasq): local DNS records; re-read on SIGHUP.
10.10.20.10 node1.debvisor.local node1
10.10.20.11 node2.debvisor.local node2
10.10.20.5 monitor1.debvisor.local monitor1
`,
    );
  });

  it('derives .100-.199, the router from lan.gateway (else .1) and home.arpa when nothing else is said', async () => {
    const inv = await inventoryOf(`all:
  hosts:
    dns1: { ansible_host: 192.168.4.63, lan: { subnet: 192.168.4.0/24, gateway: 192.168.4.254 } }
    dns2: { ansible_host: 192.168.4.64, dnsmasq: { subnet: 192.168.4.7/24 } }
`);
    const one = resolve(inv, 'dns1');
    expect(one).toMatchObject({ subnet: '192.168.4.0/24', range: { start: '192.168.4.100', end: '192.168.4.199' }, router: '192.168.4.254', domain: 'home.arpa', netmask: '255.255.255.0' });
    const two = resolve(inv, 'dns2');
    expect(two).toMatchObject({ subnet: '192.168.4.0/24', router: '192.168.4.1' });
    expect(resolve(inv, 'dns2', { router: false }).router).toBeUndefined();
    expect(defaultRange('10.4.0.0/20')).toEqual({ start: '10.4.0.100', end: '10.4.0.199' });
    expect(defaultRange('10.0.0.0/26')).toEqual({ start: '10.0.0.32', end: '10.0.0.62' });
    expect(() => defaultRange('10.0.0.0/30')).toThrow(/too small/);
  });

  it('play params win over the inventory, which wins over derived defaults', async () => {
    const inv = await inventoryOf(SEED_000);
    const config = resolve(inv, 'monitor1', { range: { start: '10.10.20.200', end: '10.10.20.220' }, lease_time: '1h' });
    expect(config.range).toEqual({ start: '10.10.20.200', end: '10.10.20.220' });
    expect(renderConfig(config, 'br0')).toContain('dhcp-range=set:lan,10.10.20.200,10.10.20.220,255.255.255.0,1h\n');
  });

  it('refuses a reservation inside the dynamic range, naming both', async () => {
    const inv = await inventoryOf(SEED_000.replace('node2: { ansible_host: 10.10.20.11', 'node2: { ansible_host: 10.10.20.150'));
    expect(problems(inv, 'monitor1')).toContain(
      'host monitor1: dnsmasq.reservations: reservation node2 (10.10.20.150, inventory host node2) lies inside the dynamic range 10.10.20.100-10.10.20.254: move the reservation or the range',
    );
  });

  it('refuses an address reserved twice, an explicit reservation outside the subnet, a bad MAC, a missing subnet', async () => {
    const inv = await inventoryOf(SEED_000);
    const twice = problems(inv, 'monitor1', { reservations: [{ mac: '02:00:00:00:00:07', ip: '10.10.20.10', name: 'printer' }] });
    expect(twice).toContain('ip 10.10.20.10 is reserved twice: node1 (inventory host node1) and printer (dnsmasq.reservations[0])');
    const outside = problems(inv, 'monitor1', { reservations: [{ mac: '02:00:00:00:00:07', ip: '10.10.21.9', name: 'printer' }] });
    expect(outside).toContain('dnsmasq.reservations.0.ip: reservation printer (10.10.21.9) is outside the subnet 10.10.20.0/24');
    const badMac = problems(inv, 'monitor1', { reservations: [{ mac: 'zz:00:00:00:00:07', ip: '10.10.20.30', name: 'printer' }] });
    expect(badMac).toContain('dnsmasq.reservations.0.mac: expected a MAC address');
    const badName = problems(inv, 'monitor1', { reservations: [{ mac: '02:00:00:00:00:07', ip: '10.10.20.30', name: 'my_printer' }] });
    expect(badName).toContain('dnsmasq.reservations.0.name: expected a host name');
    const noSubnet = await inventoryOf('all:\n  hosts:\n    dns1: { ansible_host: 10.0.0.2 }\n');
    expect(problems(noSubnet, 'dns1')).toContain('dnsmasq.subnet: no subnet: set dnsmasq.subnet, or lan.subnet once for the whole inventory');
  });

  it('an explicit reservation replaces the one derived for the same MAC; extra records get the domain', async () => {
    const inv = await inventoryOf(SEED_000);
    const config = resolve(inv, 'monitor1', {
      reservations: [{ mac: 'aa:bb:cc:dd:ee:01', ip: '10.10.20.12', name: 'node1' }],
      records: { api: '10.10.20.2', 'www.example.org': '10.10.20.3' },
    });
    expect(renderDhcpHosts(config).split('\n').slice(1, -1)).toEqual(['aa:bb:cc:dd:ee:02,10.10.20.11,node2', 'aa:bb:cc:dd:ee:01,10.10.20.12,node1']);
    expect(renderHosts(config)).toContain('10.10.20.12 node1.debvisor.local node1\n');
    expect(renderHosts(config)).not.toContain('10.10.20.10 ');
    expect(renderHosts(config)).toContain('10.10.20.2 api.debvisor.local api\n10.10.20.3 www.example.org\n');
    const clash = problems(inv, 'monitor1', { records: { node2: '10.10.20.99' } });
    expect(clash).toContain('DNS name node2.debvisor.local would point to 10.10.20.11 (inventory host node2) and 10.10.20.99 (dnsmasq.records.node2)');
  });

  it('takes a host\'s address on the subnet from `ip` when it is managed over another network; FQDN host names become labels', async () => {
    const inv = await inventoryOf(`all:
  vars:
    lan: { subnet: 10.213.7.0/24, domain: lab.example }
  hosts:
    dns1: { ansible_host: 172.20.0.2 }
    node1.lab.example: { ansible_host: 172.20.0.3, ip: 10.213.7.50, mac: "02:00:00:00:00:50" }
    storage_1: { ansible_host: 172.20.0.4 }
`);
    const config = resolve(inv, 'dns1');
    expect(config.reservations).toEqual([{ mac: '02:00:00:00:00:50', ip: '10.213.7.50', name: 'node1', source: 'inventory host node1.lab.example' }]);
    const bad = await inventoryOf(`all:
  vars:
    lan: { subnet: 10.213.7.0/24 }
  hosts:
    dns1: {}
    storage_1: { ip: 10.213.7.9 }
`);
    expect(problems(bad, 'dns1')).toContain('inventory host "storage_1" has an address in 10.213.7.0/24 but its name is not a DNS label');
    expect(resolve(bad, 'dns1', { from_inventory: false }).records).toEqual([]);
  });

  it("the LAN's gateway is the router only of a subnet it lies in: dnsmasq given another subnet (inventory or play) sends that subnet's first address", async () => {
    const inv = await inventoryOf(`all:
  vars:
    lan: { subnet: 192.168.4.0/24, gateway: 192.168.4.254 }
  hosts:
    lab1: { ansible_host: 192.168.4.63, dnsmasq: { subnet: 10.9.0.0/24 } }
    dns1: { ansible_host: 192.168.4.64 }
    dns2: { ansible_host: 192.168.4.65, dnsmasq: { subnet: 192.168.4.0/24 } }
`);
    expect(resolve(inv, 'lab1')).toMatchObject({ subnet: '10.9.0.0/24', router: '10.9.0.1' });
    expect(resolve(inv, 'dns1', { subnet: '10.9.0.0/24' })).toMatchObject({ subnet: '10.9.0.0/24', router: '10.9.0.1' });
    expect(resolve(inv, 'dns1')).toMatchObject({ subnet: '192.168.4.0/24', router: '192.168.4.254' });
    expect(resolve(inv, 'dns2')).toMatchObject({ subnet: '192.168.4.0/24', router: '192.168.4.254' });
    // a router given outright is checked, not replaced
    expect(problems(inv, 'lab1', { router: '192.168.4.254' })).toContain('router 192.168.4.254 is not a host address of the subnet 10.9.0.0/24');
  });

  it('property (seed 20261203): whatever LAN and served subnet, the default router is a host of the served subnet: the LAN gateway when it lies there, else its first address', async () => {
    const v4 = (n: number) => [24, 16, 8, 0].map((b) => (n >>> b) & 255).join('.');
    const net = (n: number, prefix: number) => (n >>> (32 - prefix)) << (32 - prefix) >>> 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0x0a000000, max: 0x0affffff }),
        fc.integer({ min: 20, max: 28 }),
        fc.constantFrom('same', 'supernet', 'elsewhere'),
        fc.integer({ min: 0x0a000000, max: 0x0affffff }),
        fc.integer({ min: 16, max: 28 }),
        async (lanSeed, lanPrefix, relation, otherSeed, otherPrefix) => {
          const lanNet = net(lanSeed, lanPrefix);
          const gateway = v4(lanNet + 1);
          const served =
            relation === 'same' ? { n: lanNet, p: lanPrefix } : relation === 'supernet' ? { n: net(lanNet, Math.min(otherPrefix, lanPrefix)), p: Math.min(otherPrefix, lanPrefix) } : { n: net(otherSeed, otherPrefix), p: otherPrefix };
          const subnet = `${v4(served.n)}/${served.p}`;
          const inv = await inventoryOf(`all:
  vars:
    lan: { subnet: ${v4(lanNet)}/${lanPrefix}, gateway: ${gateway} }
  hosts:
    dns1: { ansible_host: ${v4(lanNet + 2)} }
`);
          const inside = served.p <= lanPrefix && net(lanNet, served.p) === served.n;
          const router = inside ? gateway : v4(served.n + 1);
          const range = defaultRange(subnet);
          const toNumber = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
          if (toNumber(router) >= toNumber(range.start) && toNumber(router) <= toNumber(range.end)) {
            // the LAN gateway inside the default dynamic range of a larger served subnet: said, not served
            expect(problems(inv, 'dns1', { subnet })).toContain(`router ${router} lies inside the dynamic range ${range.start}-${range.end}`);
          } else {
            expect(resolve(inv, 'dns1', { subnet }).router).toBe(router);
          }
        },
      ),
      { seed: 20261203, numRuns: 150 },
    );
  });

  it('refuses a range outside the subnet and a router inside the range', async () => {
    const inv = await inventoryOf(SEED_000);
    expect(problems(inv, 'monitor1', { range: { start: '10.10.20.100', end: '10.10.21.10' } })).toContain('dnsmasq.range.end: 10.10.21.10 is not a host address of the subnet 10.10.20.0/24');
    expect(problems(inv, 'monitor1', { router: '10.10.20.120' })).toContain('router 10.10.20.120 lies inside the dynamic range');
  });

  it('DNS off (port 0) leaves out the DNS part; extra options and a DNS-server option are rendered', async () => {
    const inv = await inventoryOf(SEED_000);
    const config = resolve(inv, 'monitor1', { port: 0, bind: 'interfaces', dns_servers: ['10.10.20.2', '10.10.20.3'], extra_options: ['dhcp-option=option:ntp-server,10.10.20.1'] });
    const text = renderConfig(config, 'br0');
    expect(text).toContain('bind-interfaces\n');
    expect(text).toContain('port=0\n');
    expect(text).not.toContain('no-resolv');
    expect(text).toContain('dhcp-option=tag:lan,option:dns-server,10.10.20.2,10.10.20.3\n');
    expect(text.endsWith('# Extra options (dnsmasq.extra_options)\ndhcp-option=option:ntp-server,10.10.20.1\n')).toBe(true);
  });

  it('serves the interface holding an address in the subnet, and says so when there is none', async () => {
    const inv = await inventoryOf(SEED_000);
    const config = resolve(inv, 'monitor1');
    expect(serveInterfaces(config, [LO, iface('eth0', '192.0.2.5'), iface('br0', '10.10.20.5')], 'monitor1')).toEqual(['br0']);
    expect(() => serveInterfaces(config, [LO, iface('eth0', '192.0.2.5')], 'monitor1')).toThrow(
      'no interface of monitor1 has an address in 10.10.20.0/24 (it has lo 127.0.0.1/8, eth0 192.0.2.5/24): give the host an address there or set dnsmasq.interface',
    );
    expect(serveInterfaces(resolve(inv, 'monitor1', { interface: 'br9' }), [LO], 'monitor1')).toEqual(['br9']);
  });
});

describe('dnsmasq next to other DHCP and DNS servers', () => {
  const examples = join(import.meta.dirname, '../../inventory');
  const configOf = async (file: string, host: string, params: Record<string, unknown> = {}, resolved = false) => {
    const inv = await loadInventory([join(examples, file)]);
    const config = resolve(inv, host, params);
    return renderConfig(config, 'br0', resolved);
  };

  it.each([
    ['home.yaml', 'gw1'],
    ['examples/debvisor.yaml', 'monitor'],
  ])('%s: not authoritative by default (a router serving DHCP on the LAN keeps its clients)', async (file, host) => {
    const text = await configOf(file, host);
    expect(text).toContain('dhcp-range=');
    expect(text.split('\n')).not.toContain('dhcp-authoritative');
    // declared the only DHCP server: authoritative
    expect((await configOf(file, host, { authoritative: true })).split('\n')).toContain('dhcp-authoritative');
  });

  it("with no upstream it forwards to the host's own resolvers: systemd-resolved's upstream list when it runs, else /etc/resolv.conf", async () => {
    const resolved = (await configOf('home.yaml', 'gw1', { upstream: [] }, true)).split('\n');
    expect(resolved).toContain('resolv-file=/run/systemd/resolve/resolv.conf');
    expect(resolved).not.toContain('no-resolv');
    const plain = (await configOf('home.yaml', 'gw1', { upstream: [] }, false)).split('\n');
    expect(plain).toContain('resolv-file=/etc/resolv.conf');
    expect(plain).not.toContain('no-resolv');
    // forwarders given: only those, the host's resolv.conf is never read
    const upstream = (await configOf('home.yaml', 'gw1', {}, true)).split('\n');
    expect(upstream).toEqual(expect.arrayContaining(['no-resolv', 'server=1.1.1.1', 'server=9.9.9.9']));
    expect(upstream.some((l) => l.startsWith('resolv-file='))).toBe(false);
  });

  const TWO_SERVERS = `all:
  vars:
    lan: { subnet: 10.10.20.0/24, domain: lab.example }
  children:
    dhcp_servers:
      hosts:
        dns1: { ansible_host: 10.10.20.2, dnsmasq: { failover_peer: dns2 } }
        dns2: { ansible_host: 10.10.20.3, dnsmasq: { failover_peer: dns1, range: { start: 10.10.20.50, end: 10.10.20.60 } } }
`;
  it('the plan check refuses a second DHCP server on a subnet whose DHCP is declared dnsmasq\'s alone', async () => {
    // a failover pair with split ranges shares the subnet (src/plan/network-checks.test.ts: the other cases)
    const shared = await planOf(TWO_SERVERS);
    expect(shared.code, shared.out).toBe(0);
    expect(shared.out).toContain('address plan: no conflicts');
    const exclusive = await planOf(TWO_SERVERS.replace('dnsmasq: { failover_peer: dns2 }', 'dnsmasq: { failover_peer: dns2, authoritative: true }'));
    expect(exclusive.code, exclusive.out).toBe(4);
    expect(exclusive.out).toContain(
      'dnsmasq on dns1 is declared the only DHCP server of 10.10.20.0/24 (dnsmasq.authoritative: true), but dnsmasq on dns2 also serves DHCP there (10.10.20.50-10.10.20.60)',
    );
  });
});

describe('dnsmasq leases', () => {
  it('parses IPv4 and IPv6 leases; * means none, expiry 0 means infinite', () => {
    const text = `1700000000 02:00:00:00:00:50 10.213.7.50 node1 01:02:00:00:00:00:50
0 02:00:00:00:00:51 10.213.7.150 * *
duid 00:01:00:01:2c:5c:a1:3a:02:42:ac:11:00:02
1700003600 1234 fd00::10 vm123 00:01:00:01:aa
`;
    expect(parseLeases(text)).toEqual([
      { family: 'ipv4', ip: '10.213.7.50', mac: '02:00:00:00:00:50', hostname: 'node1', clientId: '01:02:00:00:00:00:50', expires: '2023-11-14T22:13:20.000Z' },
      { family: 'ipv4', ip: '10.213.7.150', mac: '02:00:00:00:00:51', hostname: null, clientId: null, expires: null },
      { family: 'ipv6', ip: 'fd00::10', iaid: '1234', hostname: 'vm123', clientId: '00:01:00:01:aa', expires: '2023-11-14T23:13:20.000Z' },
    ]);
  });

  it('the fact tells a missing lease file from an empty one', () => {
    const fact = dnsmasqLeases('/var/lib/misc/dnsmasq.leases');
    expect(fact.command.text).toBe("if [ -e /var/lib/misc/dnsmasq.leases ]; then cat /var/lib/misc/dnsmasq.leases; else echo 'labwright: no lease file'; fi");
    expect(fact.parse({ stdout: 'labwright: no lease file\n', code: 0 })).toEqual({ path: '/var/lib/misc/dnsmasq.leases', present: false, leases: [] });
    expect(fact.parse({ stdout: '', code: 0 })).toEqual({ path: '/var/lib/misc/dnsmasq.leases', present: true, leases: [] });
  });
});

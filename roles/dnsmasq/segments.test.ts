import { describe, expect, it } from 'vitest';
import { renderConfig, renderDhcpHosts, renderHosts, serveInterfaces } from './index.js';
import { inventoryOf, iface, LO, planOf, problems, resolve } from './test-support.js';

/**
 * Seed 000 (Debvisor) with its tenant VLAN: the monitor serves the LAN on br0
 * and tenant1's VLAN br0.100 (own range, router, subzone tenant1.debvisor.local,
 * one reserved VM), and network-installs over PXE.
 */
const SEED_000_TENANTS = `all:
  vars:
    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1, domain: debvisor.local }
  children:
    dhcp_servers:
      hosts:
        monitor:
          ansible_host: 10.10.20.2
          dnsmasq:
            range: { start: 10.10.20.100, end: 10.10.20.254 }
            upstream: [1.1.1.1]
            segments:
              tenant1:
                subnet: 10.10.100.0/24
                router: 10.10.100.254
                domain: tenant1.debvisor.local
                reservations: [{ mac: "02:00:00:00:01:05", ip: 10.10.100.5, name: web }]
                records: { api: 10.10.100.6 }
            pxe:
              boot: { bios: pxelinux.0, efi_x86_64: grubx64.efi }
    nodes:
      hosts:
        node1: { ansible_host: 10.10.20.10, mac: "AA:BB:CC:DD:EE:01" }
        vm7: { ansible_host: 10.10.20.20, ip: 10.10.100.7, mac: "02:00:00:00:01:07" }
`;

const NO_PXE = SEED_000_TENANTS.replace('            pxe:\n              boot: { bios: pxelinux.0, efi_x86_64: grubx64.efi }\n', '');
const IFACES = [LO, iface('br0', '10.10.20.2'), iface('br0.100', '10.10.100.2')];

describe('dnsmasq on several segments', () => {
  it('serves each segment under its tag: range and options per segment, a subzone, boot files by client architecture', async () => {
    const config = resolve(await inventoryOf(SEED_000_TENANTS), 'monitor');
    const interfaces = serveInterfaces(config, IFACES, 'monitor');
    expect(interfaces).toEqual(['br0', 'br0.100']);
    const lines = renderConfig(config, interfaces).split('\n');
    // both interfaces served, never the wildcard
    expect(lines).toEqual(expect.arrayContaining(['interface=br0', 'interface=br0.100', 'bind-dynamic']));
    // the main segment keeps its tag lan and lan.gateway; tenant1 has its own range and router under its tag
    const dhcp = lines.filter((l) => /^dhcp-(range|option)=/.test(l));
    expect(dhcp).toEqual([
      'dhcp-range=set:lan,10.10.20.100,10.10.20.254,255.255.255.0,12h',
      'dhcp-option=tag:lan,option:router,10.10.20.1',
      'dhcp-range=set:tenant1,10.10.100.100,10.10.100.199,255.255.255.0,12h',
      'dhcp-option=tag:tenant1,option:router,10.10.100.254',
    ]);
    // the subzone: DHCP clients of 10.10.100.0/24 get tenant1.debvisor.local, answered locally
    expect(lines).toEqual(expect.arrayContaining(['domain=debvisor.local', 'domain=tenant1.debvisor.local,10.10.100.0/24', 'local=/tenant1.debvisor.local/']));
    // PXE: dnsmasq's own TFTP, a boot file per architecture (x86-64 UEFI is 7 or 9)
    expect(lines.slice(lines.indexOf('enable-tftp'))).toEqual([
      'enable-tftp',
      'tftp-root=/srv/tftp',
      'dhcp-match=set:bios,option:client-arch,0',
      'dhcp-match=set:efi-x86_64,option:client-arch,7',
      'dhcp-match=set:efi-x86_64,option:client-arch,9',
      'dhcp-boot=tag:bios,pxelinux.0',
      'dhcp-boot=tag:efi-x86_64,grubx64.efi',
      '',
    ]);

    // one reservations file for every segment (the address says which); vm7's MAC goes with its `ip`, on tenant1
    expect(renderDhcpHosts(config).split('\n').slice(1, -1)).toEqual([
      'aa:bb:cc:dd:ee:01,10.10.20.10,node1',
      '02:00:00:00:01:07,10.10.100.7,vm7',
      '02:00:00:00:01:05,10.10.100.5,web',
    ]);
    // tenant1's hosts by FQDN in the subzone only (tenants may share short names); vm7 also on the LAN
    expect(renderHosts(config).split('\n').slice(1, -1)).toEqual([
      '10.10.20.10 node1.debvisor.local node1',
      '10.10.100.7 vm7.tenant1.debvisor.local',
      '10.10.100.5 web.tenant1.debvisor.local',
      '10.10.20.2 monitor.debvisor.local monitor',
      '10.10.20.20 vm7.debvisor.local vm7',
      '10.10.100.6 api.tenant1.debvisor.local',
    ]);
  });

  it('a segment without a domain uses the main one (play params add it to the inventory\'s); with no address on the host it names the interface it needs', async () => {
    const inv = await inventoryOf(SEED_000_TENANTS);
    const config = resolve(inv, 'monitor', { segments: { lab: { subnet: '10.10.30.0/24', router: false, dns_servers: ['10.10.30.53'], lease_time: '1h' } } });
    const text = renderConfig(config, ['br0', 'br0.100', 'eth2']);
    expect(text).toContain('\n# DHCP on 10.10.30.0/24 (segment lab)\ndhcp-range=set:lab,10.10.30.100,10.10.30.199,255.255.255.0,1h\ndhcp-option=tag:lab,option:dns-server,10.10.30.53\n');
    expect(text).not.toContain('tag:lab,option:router');
    expect(text).not.toMatch(/^domain=.*10\.10\.30/m);
    expect(() => serveInterfaces(config, IFACES, 'monitor')).toThrow(
      'no interface of monitor has an address in 10.10.30.0/24 (it has lo 127.0.0.1/8, br0 10.10.20.2/24, br0.100 10.10.100.2/24): give the host an address there or set dnsmasq.segments.lab.interface',
    );
    expect(serveInterfaces(resolve(inv, 'monitor', { segments: { lab: { subnet: '10.10.30.0/24', interface: 'eth2' } } }), IFACES, 'monitor')).toEqual(['br0', 'br0.100', 'eth2']);
  });

  it('PXE from another TFTP server, on the listed segments only (play params merged into the inventory\'s)', async () => {
    const config = resolve(await inventoryOf(SEED_000_TENANTS), 'monitor', {
      pxe: { boot: { efi_arm64: 'arm/grubaa64.efi', efi_x86_64: 'grubx64.efi' }, server: '10.10.100.9', segments: ['tenant1'] },
    });
    const lines = renderConfig(config, ['br0', 'br0.100']).split('\n');
    expect(lines).not.toContain('enable-tftp');
    expect(lines.some((l) => l.startsWith('tftp-root='))).toBe(false);
    expect(lines.filter((l) => l.startsWith('dhcp-boot='))).toEqual([
      'dhcp-boot=tag:tenant1,tag:bios,pxelinux.0,,10.10.100.9',
      'dhcp-boot=tag:tenant1,tag:efi-x86_64,grubx64.efi,,10.10.100.9',
      'dhcp-boot=tag:tenant1,tag:efi-arm64,arm/grubaa64.efi,,10.10.100.9',
    ]);
    expect(lines).toContain('dhcp-match=set:efi-arm64,option:client-arch,11');
  });

  it.each([
    ['a subnet overlapping the main one', { segments: { t: { subnet: '10.10.20.128/25' } } }, 'dnsmasq.segments.t.subnet: 10.10.20.128/25 overlaps the main segment\'s subnet 10.10.20.0/24 (dnsmasq.subnet or lan.subnet): each segment needs a subnet of its own'],
    ['two segments on one subnet', { segments: { a: { subnet: '10.10.30.0/24' }, b: { subnet: '10.10.30.0/23' } } }, "dnsmasq.segments.b.subnet: 10.10.30.0/23 overlaps segment a's subnet 10.10.30.0/24"],
    ['a segment named like a tag the role sets', { segments: { bios: { subnet: '10.10.30.0/24' } } }, 'dnsmasq.segments.bios: "bios" is a tag the role sets itself (lan, bios, efi-ia32, efi-x86_64, efi-arm64): name the segment otherwise'],
    ['a segment name that is no dnsmasq tag', { segments: { 'Tenant 1': { subnet: '10.10.30.0/24' } } }, 'expected a segment name (its dnsmasq tag)'],
    ['a reservation inside the segment\'s range', { segments: { t: { subnet: '10.10.30.0/24', reservations: [{ mac: '02:00:00:00:00:01', ip: '10.10.30.150', name: 'db' }] } } }, 'dnsmasq.segments.t.reservations: reservation db (10.10.30.150, dnsmasq.segments.t.reservations[0]) lies inside the dynamic range 10.10.30.100-10.10.30.199'],
    ['a reservation outside the segment', { segments: { t: { subnet: '10.10.30.0/24', reservations: [{ mac: '02:00:00:00:00:01', ip: '10.10.20.50', name: 'db' }] } } }, 'dnsmasq.segments.t.reservations.0.ip: reservation db (10.10.20.50) is outside the subnet 10.10.30.0/24'],
    ['one MAC reserved on two segments', { reservations: [{ mac: '02:00:00:00:00:01', ip: '10.10.20.30', name: 'db' }], segments: { t: { subnet: '10.10.30.0/24', reservations: [{ mac: '02:00:00:00:00:01', ip: '10.10.30.5', name: 'db' }] } } }, 'dnsmasq.segments.t.reservations: mac 02:00:00:00:00:01 is reserved twice: db (dnsmasq.reservations[0]) and db (dnsmasq.segments.t.reservations[0])'],
    ['a router inside the segment\'s range', { segments: { t: { subnet: '10.10.30.0/24', router: '10.10.30.120' } } }, 'dnsmasq.segments.t.router: router 10.10.30.120 lies inside the dynamic range 10.10.30.100-10.10.30.199'],
    ['an unknown segment key', { segments: { t: { subnet: '10.10.30.0/24', gateway: '10.10.30.1' } } }, 'dnsmasq.segments.t.gateway: unknown key (known keys: subnet, interface, range, router'],
    ['PXE on a segment that does not exist', { pxe: { boot: { bios: 'pxelinux.0' }, segments: ['tenant2'] } }, 'dnsmasq.pxe.segments.0: no segment named "tenant2" (segments: lan, tenant1)'],
    ['PXE without a boot file', { pxe: { boot: {} } }, 'dnsmasq.pxe.boot: no boot file: give one for at least one of bios, efi_ia32, efi_x86_64, efi_arm64'],
    ['a boot file outside the TFTP root', { pxe: { boot: { bios: '../etc/shadow' } } }, 'dnsmasq.pxe.boot.bios: expected a boot file path relative to the TFTP root'],
  ])('refuses %s', async (_what, params, message) => {
    expect(problems(await inventoryOf(NO_PXE), 'monitor', params)).toContain(message);
  });

  it("each segment's range and reservations join the address plan check", async () => {
    const ok = await planOf(SEED_000_TENANTS);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('address plan: no conflicts');
    // a static host address inside tenant1's dynamic range (no MAC: the role cannot know it; the plan does)
    const inRange = await planOf(`${SEED_000_TENANTS}        printer: { ip: 10.10.100.150 }\n`);
    expect(inRange.code, inRange.out).toBe(4);
    expect(inRange.out).toContain('node 10.10.100.150 of printer (inventory: printer) is inside the dynamic DHCP range 10.10.100.100-10.10.100.199 (dnsmasq on monitor)');
    // declared the only DHCP server: a second server on tenant1's subnet is refused
    const second = SEED_000_TENANTS.replace('upstream: [1.1.1.1]', 'upstream: [1.1.1.1]\n            authoritative: true').replace(
      '    nodes:\n',
      '        dns2: { ansible_host: 10.10.100.3, dnsmasq: { subnet: 10.10.100.0/24, router: 10.10.100.1, range: { start: 10.10.100.20, end: 10.10.100.30 } } }\n    nodes:\n',
    );
    const refused = await planOf(second);
    expect(refused.code, refused.out).toBe(4);
    expect(refused.out).toContain('dnsmasq on monitor is declared the only DHCP server of 10.10.100.0/24 (dnsmasq.authoritative: true), but dnsmasq on dns2 also serves DHCP there (10.10.100.20-10.10.100.30)');
  });
});

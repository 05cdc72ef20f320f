import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { play } from '../../src/engine/definitions.js';
import { resolveAllVars } from '../../src/engine/runner.js';
import { loadInventory } from '../../src/inventory/index.js';
import { checkPlan } from '../../src/plan/check.js';
import { collectClaims } from '../../src/plan/collect.js';
import { defaultVmMac, vmLabInventory } from '../../src/net/vm-lab.js';
import { fragmentInterface, macLab, renderFragment, renderRecords, renderReservations } from './index.js';
import { parseIpAddr, parseSs, renderBridgeUnit } from './platform-linux.js';
import { macPaths, parseIfconfig, parseLaunchctlPrint, parseLsof, renderSocketVmnetPlist, socketVmnetArgs } from './platform-macos.js';
import { prefixOfHexMask } from './platform.js';
import { macLabSchema, type MacLab } from './vars.js';

/** Config text only: these addresses never see a packet. */
const lab = (vars: Record<string, unknown> = {}): MacLab => macLabSchema.parse(vars);

function refused(vars: Record<string, unknown>): string {
  const r = macLabSchema.safeParse(vars);
  if (r.success) throw new Error('expected the vars to be refused');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

const BIN = '/opt/homebrew/opt/socket_vmnet/bin/socket_vmnet';
const plistOf = (l: MacLab, host = { macos: '15.5', help: '' }) => renderSocketVmnetPlist(socketVmnetArgs(l.vmnet, BIN, host).args);

/** Every text the role derives from the subnet, for one lab. */
function everything(l: MacLab): string {
  const paths = macPaths('/opt/homebrew');
  return [
    renderFragment(l, paths, 'bridge100'),
    renderReservations(l),
    renderRecords(l),
    plistOf(l),
    renderBridgeUnit({ ...l.vmnet, bridge: 'br-lab' }),
    stringify(vmLabInventory(l.plan, { domain: l.domain })),
  ].join('\n');
}

describe('mac-lab: one subnet, every address', () => {
  it("seed 004's plan from the default subnet: gateway .1, VMs .3–.9 in list order, VIP .11, pool .100–.199", () => {
    const l = lab();
    expect(l.plan.gateway).toBe('192.168.200.1');
    expect(l.plan.vms.map((v) => `${v.name} ${v.ip}`)).toEqual([
      'gateway 192.168.200.3',
      'control0 192.168.200.4',
      'control1 192.168.200.5',
      'control2 192.168.200.6',
      'worker0 192.168.200.7',
      'worker1 192.168.200.8',
      'worker2 192.168.200.9',
    ]);
    expect(l.plan.vip).toBe('192.168.200.11');
    expect(l.plan.range).toEqual({ start: '192.168.200.100', end: '192.168.200.199' });
    expect(l.vmnet.dhcpEnd).toBe('192.168.200.2');
  });

  it('changing the subnet moves every derived address: gateway, reservations, VIP, pool, inventory, socket_vmnet argument, fragment', () => {
    const a = lab();
    const b = lab({ subnet: '10.77.5.0/24' });
    const textA = everything(a);
    const textB = everything(b);
    // nothing of the old subnet is left anywhere, and each derived address is in its place
    expect(textB).not.toContain('192.168.200.');
    expect(textA).not.toContain('10.77.5.');
    expect(b.plan.gateway).toBe('10.77.5.1');
    expect(b.plan.vip).toBe('10.77.5.11');
    expect(b.plan.vms.map((v) => v.ip)).toEqual(['10.77.5.3', '10.77.5.4', '10.77.5.5', '10.77.5.6', '10.77.5.7', '10.77.5.8', '10.77.5.9']);
    expect(textB).toContain('<string>--vmnet-gateway=10.77.5.1</string>');
    expect(textB).toContain('<string>--vmnet-dhcp-end=10.77.5.2</string>');
    expect(textB).toContain('dhcp-range=set:lan,10.77.5.100,10.77.5.199,255.255.255.0,12h');
    expect(textB).toContain('dhcp-option=tag:lan,option:router,10.77.5.1');
    expect(textB).toContain(`${defaultVmMac('control0')},10.77.5.4,control0`);
    expect(textB).toContain('10.77.5.11 api.home.arpa api');
    expect(textB).toContain('ExecStart=/sbin/ip addr add 10.77.5.1/24 dev br-lab');
    const inv = vmLabInventory(b.plan) as { all: { vars: { lan: { subnet: string; gateway: string }; cluster: { control_plane_endpoint: string; pod_subnet: string } }; children: Record<string, { hosts: Record<string, { ansible_host: string }> }> } };
    expect(inv.all.vars.lan).toEqual({ subnet: '10.77.5.0/24', gateway: '10.77.5.1' });
    expect(inv.all.vars.cluster.control_plane_endpoint).toBe('10.77.5.11:6443');
    // pods and services kept off the lab network (10.77.5.0/24 is inside neither default)
    expect(inv.all.vars.cluster).toMatchObject({ pod_subnet: '10.244.0.0/16', service_subnet: '10.96.0.0/12' });
    expect((vmLabInventory(lab({ subnet: '10.244.9.0/24' }).plan) as typeof inv).all.vars.cluster).toMatchObject({ pod_subnet: '172.30.0.0/16' });
    expect(inv.all.children.workers!.hosts.worker2!.ansible_host).toBe('10.77.5.9');
    // the MACs do not move with the subnet: a VM keeps its NIC
    expect(b.plan.vms.map((v) => v.mac)).toEqual(a.plan.vms.map((v) => v.mac));
  });

  it('a smaller subnet still derives a consistent plan (pool in the upper half, netmask in socket_vmnet and dnsmasq)', () => {
    const l = lab({ subnet: '10.1.2.0/27' });
    expect(l.plan.range).toEqual({ start: '10.1.2.16', end: '10.1.2.30' });
    expect(plistOf(l)).toContain('<string>--vmnet-mask=255.255.255.224</string>');
    expect(renderFragment(l, macPaths('/usr/local'), 'bridge101')).toContain('dhcp-range=set:lan,10.1.2.16,10.1.2.30,255.255.255.224,12h');
  });

  it('the macOS fragment: bound to the bridge (bind-interfaces), Homebrew paths, forwarding through the Mac\'s resolv.conf', () => {
    expect(renderFragment(lab(), macPaths('/opt/homebrew'), 'bridge100')).toBe(`# Managed by labwright (role mac-lab): local edits are overwritten.
# Reservations: /opt/homebrew/etc/dnsmasq.labwright-mac-lab/dhcp-hosts; DNS records: /opt/homebrew/etc/dnsmasq.labwright-mac-lab/hosts (both re-read on SIGHUP).

# Serve only bridge100 (and loopback), never the wildcard address.
interface=bridge100
bind-interfaces

# DNS
port=53
domain=home.arpa
local=/home.arpa/
expand-hosts
addn-hosts=/opt/homebrew/etc/dnsmasq.labwright-mac-lab/hosts
domain-needed
bogus-priv

# DHCP on 192.168.200.0/24
dhcp-range=set:lan,192.168.200.100,192.168.200.199,255.255.255.0,12h
dhcp-option=tag:lan,option:router,192.168.200.1
dhcp-hostsfile=/opt/homebrew/etc/dnsmasq.labwright-mac-lab/dhcp-hosts
dhcp-leasefile=/opt/homebrew/var/lib/misc/dnsmasq/dnsmasq.leases
dhcp-authoritative
`);
    // explicit forwarders turn resolv.conf off, as in the dnsmasq role
    expect(renderFragment(lab({ upstream: ['9.9.9.9'] }), macPaths('/opt/homebrew'), 'bridge100')).toContain('no-resolv\nserver=9.9.9.9\n');
    // DHCP only: port 0, and the VMs ask the gateway's resolver
    const dhcpOnly = renderFragment(lab({ dns: false }), macPaths('/opt/homebrew'), 'bridge100');
    expect(dhcpOnly).toContain('port=0\n');
    expect(dhcpOnly).toContain('dhcp-option=tag:lan,option:dns-server,192.168.200.1\n');
  });

  it('the interface in the fragment: pinned, br-lab on Linux, else the one holding the gateway (assumed bridge100 before it exists)', () => {
    const bridge = { name: 'bridge101', id: 'index 22 generation 3', inet: [{ address: '192.168.200.1', prefixlen: 24 }] };
    expect(fragmentInterface(lab(), [bridge])).toEqual({ name: 'bridge101' });
    expect(fragmentInterface(lab({ bridge: 'bridge105' }), [bridge])).toEqual({ name: 'bridge105' });
    expect(fragmentInterface(lab({ platform: 'linux' }), [])).toEqual({ name: 'br-lab' });
    expect(fragmentInterface(lab(), [])).toEqual({
      name: 'bridge100',
      assumption: "no interface holds 192.168.200.1 yet (socket_vmnet not started): assumed bridge100, vmnet's first bridge",
    });
  });

  it("socket_vmnet's DHCP: off on macOS 26 with --vmnet-disable-dhcp, else cut to the address after the gateway with a warning", () => {
    const l = lab();
    const on26 = socketVmnetArgs(l.vmnet, BIN, { macos: '26.1', help: '--vmnet-disable-dhcp' });
    expect(on26.args).toEqual([BIN, '--vmnet-mode=shared', '--vmnet-gateway=192.168.200.1', '--vmnet-mask=255.255.255.0', '--vmnet-disable-dhcp', '/var/run/socket_vmnet']);
    expect(on26.notes[0]).toContain('dnsmasq is the only DHCP server on the bridge');
    const on15 = socketVmnetArgs(l.vmnet, BIN, { macos: '15.5', help: '--vmnet-gateway' });
    expect(on15.args).toContain('--vmnet-dhcp-end=192.168.200.2');
    expect(on15.notes[0]).toMatch(/^WARNING: vmnet's DHCP server \(bootpd\) also answers on the bridge \(macOS 15\.5 cannot turn vmnet's DHCP off/);
    // macOS 26 with an older socket_vmnet: cannot either, and says why
    expect(socketVmnetArgs(l.vmnet, BIN, { macos: '26.0', help: '--vmnet-gateway' }).notes[0]).toContain('this socket_vmnet has no --vmnet-disable-dhcp');
    // not installed yet (check mode on a fresh Mac): an assumption, so the plan is not claimed certain
    expect(socketVmnetArgs(l.vmnet, BIN, { macos: '26.0' }).assumption).toBe('socket_vmnet is not installed yet: assumed it cannot turn vmnet DHCP off');
  });

  it('refuses plans that cannot work, naming the key', () => {
    // an eighth VM would take the VIP's address
    const eight = [...lab().plan.vms.map((v) => ({ name: v.name })), { name: 'worker3' }, { name: 'worker4' }];
    expect(refused({ vms: eight })).toContain('vms.8: 192.168.200.11 would be both the VIP and VM worker4');
    expect(refused({ vms: [{ name: 'a' }, { name: 'a' }] })).toContain('vms.1.name: name a is used by VM a too');
    expect(refused({ vms: [{ name: 'node_1' }] })).toContain('vms.0.name: expected a host name');
    expect(refused({ first_vm_host: 150 })).toContain('range: 192.168.200.150 (VM gateway) lies inside the dynamic pool 192.168.200.100–192.168.200.199');
    expect(refused({ subnet: '10.1.2.0/29' })).toMatch(/VM .* would be host number \d+ of 10\.1\.2\.0\/29/);
    // the address vmnet's bootpd keeps where it cannot be turned off
    expect(refused({ first_vm_host: 2 })).toContain("192.168.200.2 (the address after the gateway) is what vmnet's own DHCP server keeps");
    expect(() => lab({ first_vm_host: 2, vmnet_dhcp: 'disable' })).not.toThrow();
    expect(refused({ subnet: '192.168.200.0/33' })).toContain('subnet: expected an IPv4 subnet');
    expect(refused({ sockets: 1 })).toContain('Unrecognized key');
  });
});

describe('mac-lab: platform parsers (documented output formats)', () => {
  it('ifconfig -a -v: IPv4 addresses, index and generation id per interface', () => {
    const text = [
      'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384 index 1',
      '\tinet 127.0.0.1 netmask 0xff000000',
      '\tinet6 ::1 prefixlen 128',
      '\tgeneration id: 1',
      'bridge100: flags=8a63<UP,BROADCAST,SMART,RUNNING,ALLMULTI,SIMPLEX,MULTICAST> mtu 1500 index 21',
      '\teflags=41002080<TXSTART,NOAUTOIPV6LL,ECN_ENABLE,FASTLANE_CAPABLE>',
      '\tether 16:7d:da:5f:61:64',
      '\tinet 192.168.200.1 netmask 0xffffff00 broadcast 192.168.200.255',
      '\tinet6 fe80::147d:daff:fe5f:6164%bridge100 prefixlen 64 scopeid 0x15',
      '\tConfiguration:',
      '\t\tid 0:0:0:0:0:0 priority 0 hellotime 0 fwddelay 0',
      '\tmember: vmenet0 flags=3<LEARNING,DISCOVER>',
      '\tstatus: active',
      '\tgeneration id: 45',
      'utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380 index 24',
      '\tinet 10.8.0.2 --> 10.8.0.2 netmask 0xffffff00',
    ].join('\n');
    expect(parseIfconfig(text)).toEqual([
      { name: 'lo0', id: 'index 1 generation 1', inet: [{ address: '127.0.0.1', prefixlen: 8 }] },
      { name: 'bridge100', id: 'index 21 generation 45', inet: [{ address: '192.168.200.1', prefixlen: 24 }] },
      { name: 'utun3', id: 'index 24', inet: [{ address: '10.8.0.2', prefixlen: 24 }] },
    ]);
    expect(prefixOfHexMask('ffffffe0')).toBe(27);
  });

  it('lsof -F pcn: holders of UDP 53/67, wildcard and bound addresses, connected sockets skipped', () => {
    const text = ['p301', 'cmDNSResponder', 'f25', 'n*:53', 'f26', 'n[fe80::1%bridge100]:53', 'p877', 'cdnsmasq', 'f4', 'n192.168.200.1:53', 'f5', 'n*:67', 'f9', 'n192.168.200.1:53->192.168.200.4:5353'].join('\n');
    expect(parseLsof(text)).toEqual([
      { process: 'mDNSResponder', pid: 301, address: '*', port: 53 },
      { process: 'mDNSResponder', pid: 301, address: 'fe80::1', port: 53, device: 'bridge100' },
      { process: 'dnsmasq', pid: 877, address: '192.168.200.1', port: 53 },
      { process: 'dnsmasq', pid: 877, address: '*', port: 67 },
    ]);
  });

  it('launchctl print: loaded/running/pid from the top level only; exit 113 = not loaded', () => {
    const text = 'system/io.github.lima-vm.socket_vmnet = {\n\tactive count = 1\n\tstate = running\n\tpid = 5123\n\tendpoints = {\n\t\tstate = active\n\t}\n}\n';
    expect(parseLaunchctlPrint(text, 0)).toEqual({ loaded: true, running: true, pid: 5123 });
    expect(parseLaunchctlPrint('system/x = {\n\tstate = not running\n\tendpoints = {\n\t\tstate = running\n\t}\n}\n', 0)).toEqual({ loaded: true, running: false });
    expect(parseLaunchctlPrint('Could not find service "x" in domain for system', 113)).toEqual({ loaded: false, running: false });
  });

  it('ip -j addr / ss -Hlunp: the Linux analogue (holder left undefined when ss cannot see it)', () => {
    expect(parseIpAddr('[{"ifindex":7,"ifname":"br-lab","addr_info":[{"family":"inet","local":"10.213.77.1","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]')).toEqual([
      { name: 'br-lab', id: 'ifindex 7', inet: [{ address: '10.213.77.1', prefixlen: 24 }] },
    ]);
    const ss = [
      'UNCONN 0      0           127.0.0.1:53 0.0.0.0:*',
      'UNCONN 0      0         10.213.77.1:53 0.0.0.0:* users:(("dnsmasq",pid=35,fd=6))',
      'UNCONN 0      0      0.0.0.0%br-lab:67 0.0.0.0:*',
      'UNCONN 0      0              [::1]:53    [::]:*',
    ].join('\n');
    expect(parseSs(ss)).toEqual([
      { address: '127.0.0.1', port: 53 },
      { address: '10.213.77.1', port: 53, process: 'dnsmasq', pid: 35 },
      { address: '*', port: 67, device: 'br-lab' },
      { address: '::1', port: 53 },
    ]);
  });
});

describe('mac-lab: the emitted inventory and the address plan agree', () => {
  it('an inventory of the Mac plus the emitted VMs passes the plan check with the role in the play', async () => {
    const l = lab();
    const dir = mkdtempSync(join(tmpdir(), 'lw-mac-lab-'));
    const vms = vmLabInventory(l.plan, { domain: l.domain }) as { all: { vars: Record<string, unknown>; children: Record<string, unknown> } };
    const inventory = {
      all: {
        vars: vms.all.vars,
        children: { ...vms.all.children, vm_hosts: { hosts: { mac: { ansible_connection: 'local' } } } },
      },
    };
    writeFileSync(join(dir, 'inventory.yaml'), stringify(inventory));
    const inv = await loadInventory([join(dir, 'inventory.yaml')]);
    const plays = [play({ name: 'lab', hosts: 'vm_hosts', roles: [macLab] })];
    const claims = collectClaims(plays, inv, resolveAllVars(plays, inv));
    expect(checkPlan(claims)).toEqual([]);
    expect(claims.filter((c) => c.by === 'mac-lab on mac').length).toBe(3 + l.plan.vms.length);
    // and a home LAN overlapping the lab subnet is refused before any host is touched
    const clash = checkPlan([...claims, { kind: 'network', by: 'inventory: lan', cidr: '192.168.0.0/16', purpose: 'lan', what: 'home LAN' }]);
    expect(clash.join('\n')).toContain('overlaps home LAN 192.168.0.0/16');
  });
});

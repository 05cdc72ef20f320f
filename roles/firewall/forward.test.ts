import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { forwardingSysctls } from './forward.js';
import { firewall } from './index.js';
import { renderRuleset, resolve } from './ruleset.js';
import { firewallVars, type FirewallVars } from './vars.js';

/**
 * Routing in the firewall (rendering only; real packets in firewall-routing.lab.test.ts):
 * seed 000's hypervisor node isolating tenant VLANs from each other and from the
 * management LAN, seed 003's dual-homed gateway masquerading the cluster network
 * and forwarding 443 to a worker's NodePort. Addresses are the seeds' (config text only).
 */
const SEEDS = {
  // seed 000: node1 is control plane and worker (Calico pods 192.168.0.0/16), bridges br0 (management) and the tenant VLANs
  debvisor: `all:
  vars:
    cluster: { pod_subnet: 192.168.0.0/16 }
  children:
    control_plane: { hosts: { node1: { ansible_host: 10.10.20.10 } } }
    workers: { hosts: { node1: } }
`,
  // seed 003: gateway1 with its LAN leg (ens160) and its vmnet2 leg (ens192); no Kubernetes on it
  dmz: `all:
  children:
    gateways: { hosts: { gateway1: { ansible_host: 192.168.68.56, node_ip: 10.10.0.11 } } }
    workers: { hosts: { worker1: { ansible_host: 10.10.0.141 } } }
`,
};

const TENANTS = {
  segments: {
    mgmt: { interfaces: ['br0'], networks: ['10.10.20.0/24'] },
    tenant_a: { interfaces: ['br0.100'], networks: ['10.10.100.0/24'] },
    tenant_b: { interfaces: ['br0.200'], networks: ['10.10.200.0/24', 'fd00:200::/64'] },
    uplink: { interfaces: ['enp1s0'] },
  },
  forward_rules: [
    { from: 'tenant_a', to: 'mgmt', proto: 'tcp+udp', ports: [53], comment: 'tenant DNS' },
    { from: 'tenant_b', to: 'mgmt', proto: 'tcp+udp', ports: [53] },
    { from: 'tenant_a', to: 'uplink' },
    { from: 'tenant_b', to: 'uplink' },
    { from: 'mgmt', to: 'tenant_a', proto: 'tcp', ports: [22] },
  ],
  masquerade: [{ from: 'tenant_a', out: 'uplink' }],
};

const DMZ_GATEWAY = {
  segments: { lan: { interfaces: ['ens160'], networks: ['192.168.68.0/24'] }, vmnet2: { interfaces: ['ens192'], networks: ['10.10.0.0/24'] } },
  forward_rules: [{ from: 'vmnet2', to: 'lan', comment: 'cluster nodes out' }],
  masquerade: [{ from: 'vmnet2', out: 'lan' }],
  port_forwards: [{ port: 443, to: '10.10.0.141', to_port: 30443, from: 'lan', address: '192.168.68.200', masquerade: true, comment: 'HTTPS to worker1' }],
};

const inventories: Record<string, Inventory> = {};
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-fwd-'));
  for (const [name, text] of Object.entries(SEEDS)) {
    writeFileSync(join(dir, `${name}.yaml`), text);
    inventories[name] = await loadInventory([join(dir, `${name}.yaml`)]);
  }
});

function varsFor(seed: keyof typeof SEEDS, host: string, params: Record<string, unknown>): FirewallVars {
  const inv = inventories[seed]!;
  return resolveRoleVars(firewall.with(params), inv.hosts.get(host)!, inv) as FirewallVars;
}

function render(seed: keyof typeof SEEDS, host: string, params: Record<string, unknown>): string {
  const inv = inventories[seed]!;
  return renderRuleset(resolve(varsFor(seed, host, params), inv.hosts.get(host)!, inv));
}

/** The rule lines of one chain, in order ([] when the chain is absent). */
function chain(text: string, name: string): string[] {
  const start = text.indexOf(`\tchain ${name} {`);
  if (start < 0) return [];
  const body = text.slice(start, text.indexOf('\n\t}', start));
  return body
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function parseError(input: Record<string, unknown>): string {
  const r = firewallVars.safeParse({ ssh_port: 22, ...input });
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

describe('forwarding between segments (seed 000: tenant VLANs on the hypervisor node)', () => {
  it('forward chain: policy drop, replies accepted, the Kubernetes pod network routed, then the typed rules in order (one per IP family both segments share)', () => {
    const text = render('debvisor', 'node1', TENANTS);
    expect(chain(text, 'forward')).toEqual([
      'type filter hook forward priority filter; policy drop;',
      'ct state established,related accept',
      'ct state invalid drop',
      'ip saddr 192.168.0.0/16 accept comment "pod network"',
      'ip daddr 192.168.0.0/16 accept comment "pod network"',
      'iifname "br0.100" ip saddr 10.10.100.0/24 oifname "br0" ip daddr 10.10.20.0/24 meta l4proto { tcp, udp } th dport 53 accept comment "tenant DNS"',
      // tenant_b is dual-stack, mgmt IPv4 only: the IPv4 rule alone
      'iifname "br0.200" ip saddr 10.10.200.0/24 oifname "br0" ip daddr 10.10.20.0/24 meta l4proto { tcp, udp } th dport 53 accept comment "tenant_b to mgmt"',
      'iifname "br0.100" ip saddr 10.10.100.0/24 oifname "enp1s0" accept comment "tenant_a to uplink"',
      // uplink has no networks: both of tenant_b's families
      'iifname "br0.200" ip saddr 10.10.200.0/24 oifname "enp1s0" accept comment "tenant_b to uplink"',
      'iifname "br0.200" ip6 saddr fd00:200::/64 oifname "enp1s0" accept comment "tenant_b to uplink"',
      'iifname "br0" ip saddr 10.10.20.0/24 oifname "br0.100" ip daddr 10.10.100.0/24 tcp dport 22 accept comment "mgmt to tenant_a"',
    ]);
    // tenant to tenant: no rule, so the policy drops it
    expect(text).not.toMatch(/iifname "br0\.100"[^\n]*oifname "br0\.200"/);
    expect(chain(text, 'postrouting')).toEqual([
      'type nat hook postrouting priority srcnat; policy accept;',
      'iifname "br0.100" ip saddr 10.10.100.0/24 oifname "enp1s0" masquerade comment "tenant_a out through uplink"',
    ]);
    expect(chain(text, 'prerouting')).toEqual([]);
    // the input chain is the same as without routing
    const inputOf = (t: string) => chain(t, 'input');
    expect(inputOf(text)).toEqual(inputOf(render('debvisor', 'node1', {})));
  });

  it('IP forwarding: v4 when routing, v6 too when a segment has IPv6 networks; none when the host does not route', () => {
    expect(forwardingSysctls(varsFor('debvisor', 'node1', TENANTS))).toEqual({ 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
    expect(forwardingSysctls(varsFor('dmz', 'gateway1', DMZ_GATEWAY))).toEqual({ 'net.ipv4.ip_forward': 1 });
    expect(forwardingSysctls(varsFor('debvisor', 'node1', {}))).toBeUndefined();
    expect(forwardingSysctls(varsFor('debvisor', 'node1', { segments: TENANTS.segments }))).toBeUndefined();
    const text = render('debvisor', 'node1', { segments: TENANTS.segments });
    expect(text).not.toContain('chain forward');
  });

  it('forwarding: true with no rules isolates: only replies and the pod network pass', () => {
    expect(chain(render('debvisor', 'node1', { forwarding: true }), 'forward').slice(1)).toEqual([
      'ct state established,related accept',
      'ct state invalid drop',
      'ip saddr 192.168.0.0/16 accept comment "pod network"',
      'ip daddr 192.168.0.0/16 accept comment "pod network"',
    ]);
  });

  it('segments without a common IP family are an error naming the rule and both segments', () => {
    const params = { segments: { v4: { networks: ['10.0.0.0/24'] }, v6: { networks: ['fd00::/64'] } }, forward_rules: [{ from: 'v4', to: 'v6' }] };
    expect(() => render('debvisor', 'node1', params)).toThrow(
      'firewall: forward_rules[0]: segment v4 (IPv4 networks) and segment v6 (IPv6 networks) have no IP family in common: the rule would match nothing',
    );
  });
});

describe('NAT gateway with a port forward (seed 003: gateway1 between the LAN and vmnet2)', () => {
  it('DNAT of 443 on the VIP to worker1:30443 from the LAN, its forward accept (DNAT-ed connections only), masquerade out to the LAN and towards the backend', () => {
    const text = render('dmz', 'gateway1', DMZ_GATEWAY);
    expect(chain(text, 'prerouting')).toEqual([
      'type nat hook prerouting priority dstnat; policy accept;',
      'iifname "ens160" ip saddr 192.168.68.0/24 ip daddr 192.168.68.200 tcp dport 443 dnat ip to 10.10.0.141:30443 comment "HTTPS to worker1"',
    ]);
    expect(chain(text, 'forward').slice(3)).toEqual([
      'iifname "ens160" ip saddr 192.168.68.0/24 ip daddr 10.10.0.141 tcp dport 30443 ct status dnat accept comment "HTTPS to worker1"',
      'iifname "ens192" ip saddr 10.10.0.0/24 oifname "ens160" ip daddr 192.168.68.0/24 accept comment "cluster nodes out"',
    ]);
    expect(chain(text, 'postrouting').slice(1)).toEqual([
      'iifname "ens192" ip saddr 10.10.0.0/24 oifname "ens160" ip daddr 192.168.68.0/24 masquerade comment "vmnet2 out through lan"',
      'ip daddr 10.10.0.141 tcp dport 30443 ct status dnat masquerade comment "HTTPS to worker1"',
    ]);
    expect(chain(text, 'forward')).not.toContain('ip saddr 10.244.0.0/16 accept comment "pod network"'); // not a Kubernetes node
  });

  it('a port forward without address matches any of the host\'s own addresses (fib), tcp+udp and IPv6 targets', () => {
    const text = render('dmz', 'gateway1', {
      port_forwards: [
        { proto: 'tcp+udp', port: 53, to: '10.10.0.141' },
        { port: 8443, to: 'fd00:10::141', to_port: 443 },
      ],
    });
    expect(chain(text, 'prerouting').slice(1)).toEqual([
      'fib daddr type local meta l4proto { tcp, udp } th dport 53 dnat ip to 10.10.0.141:53 comment "port forward 53"',
      'fib daddr type local tcp dport 8443 dnat ip6 to [fd00:10::141]:443 comment "port forward 8443"',
    ]);
    expect(forwardingSysctls(varsFor('dmz', 'gateway1', { port_forwards: [{ port: 8443, to: 'fd00:10::141' }] }))).toEqual({
      'net.ipv4.ip_forward': 1,
      'net.ipv6.conf.all.forwarding': 1,
    });
  });
});

describe('routing vars schema', () => {
  it('names the key of an unknown segment, and lists the known ones', () => {
    const errors = parseError({ segments: { lan: { interfaces: ['eth0'] } }, forward_rules: [{ from: 'lan', to: 'wan' }], masquerade: [{ from: 'lna', out: 'lan' }], port_forwards: [{ port: 1, to: '10.0.0.1', from: 'x' }] });
    expect(errors).toContain('forward_rules.0.to: no segment "wan" (segments: lan)');
    expect(errors).toContain('masquerade.0.from: no segment "lna" (segments: lan)');
    expect(errors).toContain('port_forwards.0.from: no segment "x" (segments: lan)');
    expect(parseError({ forward_rules: [{ from: 'a', to: 'b' }] })).toContain('forward_rules.0.from: no segment "a" (define it under firewall.segments)');
  });

  it('refuses routed traffic with forwarding: false, empty segments, bad addresses, interfaces and ports, mixed-family port forwards, unknown keys', () => {
    const seg = { segments: { a: { interfaces: ['eth0'] } } };
    expect(parseError({ ...seg, forwarding: false, forward_rules: [{ from: 'a', to: 'a' }] })).toContain('forwarding: forwarding: false, but forward_rules is set (routed traffic needs forwarding)');
    expect(parseError({ segments: { a: {} } })).toContain('segments.a: a segment needs interfaces, networks or both');
    expect(parseError({ segments: { a: { networks: ['10.0.0.1'] } } })).toContain('segments.a.networks.0: not a CIDR');
    expect(parseError({ segments: { a: { interfaces: ['a-very-long-interface-name'] } } })).toContain('segments.a.interfaces.0: an interface name');
    expect(parseError({ segments: { LAN: { interfaces: ['eth0'] } } })).toContain('a segment name');
    expect(parseError({ ...seg, forward_rules: [{ from: 'a', to: 'a', proto: 'icmp', ports: [1] }] })).toContain('forward_rules.0.ports: ports need proto tcp, udp or tcp+udp');
    expect(parseError({ port_forwards: [{ port: 443, to: '10.0.0.300' }] })).toContain('port_forwards.0.to: not an IP address');
    expect(parseError({ port_forwards: [{ port: 70000, to: '10.0.0.1' }] })).toContain('port_forwards.0.port');
    expect(parseError({ port_forwards: [{ port: 443, to: 'fd00::1', address: '10.0.0.1' }] })).toContain('port_forwards.0.to: fd00::1 and address 10.0.0.1 are of different IP families');
    expect(parseError({ ...seg, masquerade: [{ from: 'a', out: 'a', to: 'x' }] })).toMatch(/masquerade\.0: .*to/);
  });
});

/** Real nft in a throwaway network namespace of this test (`unshare -n`): the controller's own ruleset is never touched. */
const canUnshareNft = spawnSync('unshare', ['-n', 'nft', 'list', 'ruleset']).status === 0;

describe.skipIf(!canUnshareNft)('routing rulesets load in nft (throwaway network namespace)', () => {
  it('seed 000 tenants and seed 003 NAT gateway: nft -c passes, the file loads twice, and the four chains are live', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-firewall-fwd-nft-'));
    const cases = [render('debvisor', 'node1', { ...TENANTS, port_forwards: [{ proto: 'udp', port: 5353, to: 'fd00:200::5' }], log_dropped: true }), render('dmz', 'gateway1', DMZ_GATEWAY)];
    for (const [i, text] of cases.entries()) {
      const path = join(dir, `${i}.nft`);
      writeFileSync(path, text);
      const r = spawnSync('unshare', ['-n', 'sh', '-c', `nft -c -f ${path} && nft -f ${path} && nft -f ${path} && nft list table inet labwright | grep -o 'chain [a-z]*'`], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toBe('chain input\nchain forward\nchain prerouting\nchain postrouting\n');
    }
  });
});

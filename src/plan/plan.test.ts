import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import type { Claim } from './claims.js';
import { checkPlan } from './check.js';
import { captureIo } from '../../test/support/io.js';

async function plan(inventoryYaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-plan-')), 'inventory.yaml');
  writeFileSync(file, inventoryYaml);
  const io = captureIo();
  const code = await main([], ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr };
}

const good = `all:
  vars:
    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1, domain: lab.example }
    cluster: { pod_subnet: 192.168.0.0/16, service_subnet: 10.96.0.0/12 }
  hosts:
    cp1: { ansible_host: 10.10.20.11, mac: "aa:bb:cc:dd:ee:01" }
    cp2: { ansible_host: 10.10.20.12, mac: "aa:bb:cc:dd:ee:02" }
`;

describe('the address plan from the inventory (--plan, offline)', () => {
  it('prints the map in address order and passes a sound plan', async () => {
    const { code, out } = await plan(good);
    expect(code).toBe(0);
    expect(out).toContain('address plan: no conflicts');
    const lines = out.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.startsWith(s));
    expect(at('10.10.20.0/24')).toBeLessThan(at('10.10.20.1 '));
    expect(at('10.10.20.1 ')).toBeLessThan(at('10.10.20.11'));
    expect(at('10.96.0.0/12')).toBeLessThan(at('192.168.0.0/16'));
    expect(out).toMatch(/10\.10\.20\.11\s+node\s+cp1 aa:bb:cc:dd:ee:01/);
  });

  it.each([
    ['pod network overlapping the LAN', good.replace('pod_subnet: 192.168.0.0/16', 'pod_subnet: 10.10.0.0/16'), 'LAN lab.example 10.10.20.0/24 (inventory: lan) overlaps pod network (kubernetes) 10.10.0.0/16 (inventory: cluster kubernetes)'],
    ['service network overlapping the pod network', good.replace('service_subnet: 10.96.0.0/12', 'service_subnet: 192.168.128.0/17'), 'overlaps service network (kubernetes) 192.168.128.0/17'],
    ['duplicate IP', good.replace('ansible_host: 10.10.20.12', 'ansible_host: 10.10.20.11'), '10.10.20.11 is claimed 2 times: node of cp1 (inventory: cp1), node of cp2 (inventory: cp2)'],
    ['duplicate MAC', good.replace('aa:bb:cc:dd:ee:02', 'AA-BB-CC-DD-EE-01'), 'MAC aa:bb:cc:dd:ee:01 is used by cp1 and cp2'],
    ['gateway outside its subnet', good.replace('gateway: 10.10.20.1', 'gateway: 10.10.21.1'), 'lan.gateway: the gateway must be an address of lan.subnet 10.10.20.0/24, got "10.10.21.1" (set at'],
  ])('refuses %s, naming what is involved', async (_name, inventory, message) => {
    const { code, out } = await plan(inventory);
    expect(code).toBe(4);
    expect(out).toContain(message);
  });

  it('a malformed lan or mac var is an inventory error naming the host (exit 4), not a crash', async () => {
    const lan = await plan(good.replace('subnet: 10.10.20.0/24', 'subnet: nonsense'));
    expect(lan.code).toBe(4);
    expect(lan.out).toContain('host cp1: lan.subnet: expected an IPv4 subnet');
    const mac = await plan(good.replace('mac: "aa:bb:cc:dd:ee:02"', 'mac: 52:54:00:00:50:22'));
    expect(mac.code).toBe(4);
    expect(mac.out).toContain('host cp2: mac: expected a MAC address');
    expect(mac.out).toContain('quote it');
  });

  it('runs before any host is touched: a run refuses a broken plan with exit 4', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lw-plan-')), 'inventory.yaml');
    writeFileSync(file, good.replace('ansible_host: 10.10.20.12', 'ansible_host: 10.10.20.11'));
    const io = captureIo();
    expect(await main([], ['-i', file], io)).toBe(4);
    expect(io.stderr).toContain('the address plan has 1 problem(s); no host was touched');
  });
});

describe('plan rules on role claims', () => {
  const by = 'test';
  const lan: Claim = { kind: 'network', by, cidr: '10.0.0.0/24', purpose: 'lan', what: 'LAN' };
  const dhcp: Claim = { kind: 'range', by: 'dnsmasq on gw1', range: '10.0.0.100-10.0.0.199', purpose: 'dhcp', what: 'dynamic range' };
  it.each<[string, Claim[], string]>([
    ['a VIP inside the DHCP range', [lan, dhcp, { kind: 'address', by: 'keepalived on gw1', ip: '10.0.0.150', purpose: 'vip', what: 'VIP' }], 'vip 10.0.0.150 of VIP (keepalived on gw1) is inside the dynamic DHCP range 10.0.0.100-10.0.0.199 (dnsmasq on gw1)'],
    ['a reservation inside the DHCP range', [dhcp, { kind: 'address', by: 'dnsmasq on gw1', ip: '10.0.0.100', purpose: 'reservation', what: 'node1', host: 'node1' }], 'reservation 10.0.0.100 of node1'],
    ['a pool overlapping the DHCP range', [dhcp, { kind: 'range', by: 'metallb', range: '10.0.0.190 - 10.0.0.210', purpose: 'loadbalancer', what: 'pool' }], 'load balancer pool 10.0.0.190 - 10.0.0.210 (metallb) overlaps the DHCP range'],
    ['a pool containing a node', [{ kind: 'range', by: 'metallb', range: '10.0.0.0/28', purpose: 'loadbalancer', what: 'pool' }, { kind: 'address', by, ip: '10.0.0.5', purpose: 'node', what: 'w1', host: 'w1' }], 'load balancer pool 10.0.0.0/28 (metallb) contains node 10.0.0.5 of w1'],
    ['a Calico pool outside the pod subnet', [{ kind: 'within', by: 'calico', cidr: '10.244.0.0/16', what: 'Calico pool', outer: '192.168.0.0/16', outerWhat: 'pod subnet' }], 'Calico pool 10.244.0.0/16 (calico) is not inside pod subnet 192.168.0.0/16'],
    ['an endpoint that is not the VIP', [{ kind: 'address', by: 'keepalived', ip: '10.0.0.10', purpose: 'vip', what: 'VIP' }, { kind: 'endpoint', by: 'kubeadm', endpoint: '10.0.0.11:6443' }], 'control plane endpoint 10.0.0.11:6443 (kubeadm) is neither a VIP nor a load balancer of the plan (10.0.0.10)'],
    ['MTUs differing on one network', [{ kind: 'mtu', by, network: '10.0.0.0/24', mtu: 9000, host: 'a' }, { kind: 'mtu', by, network: '10.0.0.0/24', mtu: 1500, host: 'b' }], 'MTU differs across 10.0.0.0/24: a 9000, b 1500'],
    ['a VRRP router id used twice on a segment', [{ kind: 'vrrp', by: 'keepalived on gw1', segment: '10.0.0.0/24', routerId: 51, vip: '10.0.0.10' }, { kind: 'vrrp', by: 'keepalived on cp1', segment: '10.0.0.0/24', routerId: 51, vip: '10.0.0.20' }], 'VRRP router id 51 is used twice on 10.0.0.0/24'],
    ['two listeners on one port of a host', [{ kind: 'listen', by: 'kubeadm', host: 'cp1', port: 6443, at: ['10.0.0.11'], what: 'kube-apiserver', api: 'server' }, { kind: 'listen', by: 'haproxy on cp1', host: 'cp1', port: 6443, bind: '10.0.0.10', at: ['10.0.0.10'], what: 'haproxy', api: 'frontend' }], 'kube-apiserver (kubeadm) and haproxy (haproxy on cp1) both listen on port 6443 of cp1: one of them cannot start'],
    ['an endpoint at a port the API is not served on there', [{ kind: 'address', by: 'keepalived', ip: '10.0.0.10', purpose: 'vip', what: 'VIP' }, { kind: 'listen', by: 'haproxy on cp1', host: 'cp1', port: 8443, at: ['10.0.0.10'], what: 'haproxy', api: 'frontend' }, { kind: 'endpoint', by: 'kubeadm', endpoint: '10.0.0.10:6443' }], 'control plane endpoint 10.0.0.10:6443 (kubeadm): at 10.0.0.10 the Kubernetes API is served on port 8443 (haproxy), not 6443: set cluster.control_plane_endpoint to 10.0.0.10:8443'],
  ])('refuses %s', (_name, claims, message) => {
    expect(checkPlan(claims).join('\n')).toContain(message);
  });

  it('accepts listeners on different addresses of one port, and an endpoint at kube-apiserver when no front end listens there', () => {
    const api: Claim = { kind: 'listen', by, host: 'cp1', port: 6443, bind: '10.0.0.11', at: ['10.0.0.11'], what: 'kube-apiserver', api: 'server' };
    expect(checkPlan([api, { kind: 'listen', by, host: 'cp1', port: 6443, bind: '10.0.0.10', at: ['10.0.0.10'], what: 'haproxy', api: 'frontend' }, { kind: 'endpoint', by, endpoint: '10.0.0.11:6443' }])).toEqual([]);
  });

  it('accepts the same VIP claimed by both peers and an endpoint equal to the VIP', () => {
    const vip = (by: string): Claim => ({ kind: 'address', by, ip: '10.0.0.10', purpose: 'vip', what: 'VIP' });
    expect(checkPlan([vip('keepalived on gw1'), vip('keepalived on gw2'), { kind: 'endpoint', by, endpoint: '10.0.0.10:6443' }, { kind: 'vrrp', by: 'gw1', segment: '10.0.0.0/24', routerId: 51, vip: '10.0.0.10' }, { kind: 'vrrp', by: 'gw2', segment: '10.0.0.0/24', routerId: 51, vip: '10.0.0.10' }])).toEqual([]);
  });
});

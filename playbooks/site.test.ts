import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { site } from './site.js';
import { captureIo } from '../test/support/io.js';

/**
 * The site playbook's address-plan check (`--plan`), offline: every example
 * inventory passes; each kind of conflict is refused (exit 4, nothing
 * contacted) with a message naming what is involved.
 */
const INVENTORY = fileURLToPath(new URL('../inventory/', import.meta.url));
const home = readFileSync(join(INVENTORY, 'home.yaml'), 'utf8');

async function plan(file: string) {
  const io = captureIo();
  const code = await main(site, ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr };
}

async function planText(yaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-site-plan-')), 'inventory.yaml');
  writeFileSync(file, yaml);
  return plan(file);
}

/** home.yaml with one text replaced (the replacement must happen). */
function broken(from: string, to: string): string {
  expect(home).toContain(from);
  return home.replace(from, to);
}

const examples = ['home.yaml', ...readdirSync(join(INVENTORY, 'examples')).map((f) => `examples/${f}`)];

describe('site --plan', () => {
  it.each(examples)('%s passes and prints its address map', async (name) => {
    const { code, out } = await plan(join(INVENTORY, name));
    expect(out).toContain('address plan: no conflicts');
    expect(out).toContain('ADDRESS MAP');
    expect(code).toBe(0);
  });

  it.each([
    ['a VIP inside the DHCP range', broken('vip: 192.168.50.10', 'vip: 192.168.50.150').replace('control_plane_endpoint: 192.168.50.10:6443', 'control_plane_endpoint: 192.168.50.150:6443'), 'vip 192.168.50.150 of keepalived VIP (keepalived on gw1) is inside the dynamic DHCP range 192.168.50.100-192.168.50.199 (dnsmasq on gw1)'],
    ['a reservation inside the DHCP range', broken('ansible_host: 192.168.50.23', 'ansible_host: 192.168.50.123'), '192.168.50.123'],
    ['a MetalLB pool overlapping the DHCP range', broken('192.168.50.200-192.168.50.230', '192.168.50.190-192.168.50.230'), 'load balancer pool 192.168.50.190-192.168.50.230 (metallb) overlaps the DHCP range 192.168.50.100-192.168.50.199 (dnsmasq on gw1)'],
    ['a MetalLB pool containing a node', broken('192.168.50.200-192.168.50.230', '192.168.50.20-192.168.50.30'), 'contains node 192.168.50.21 of w1'],
    ['a MetalLB pool containing the VIP', broken('192.168.50.200-192.168.50.230', '192.168.50.8-192.168.50.10'), 'contains vip 192.168.50.10'],
    // dnsmasq's own vars check sees these first, with the same facts: still before any host is touched
    ['a duplicate address', broken('ansible_host: 192.168.50.22', 'ansible_host: 192.168.50.21'), 'ip 192.168.50.21 is reserved twice: w1 (inventory host w1) and w2 (inventory host w2)'],
    ['a duplicate MAC', broken('"52:54:00:00:50:22"', '"52:54:00:00:50:21"'), 'mac 52:54:00:00:50:21 is reserved twice: w1 (inventory host w1) and w2 (inventory host w2)'],
    ['a pod network overlapping the LAN', broken('pod_subnet: 10.244.0.0/16', 'pod_subnet: 192.168.0.0/16'), 'overlaps pod network (kubernetes) 192.168.0.0/16'],
    ['a service network overlapping the pod network', broken('service_subnet: 10.96.0.0/12', 'service_subnet: 10.244.128.0/17'), 'overlaps service network (kubernetes) 10.244.128.0/17'],
    ['a control plane endpoint that is not the VIP', broken('control_plane_endpoint: 192.168.50.10:6443', 'control_plane_endpoint: 192.168.50.11:6443'), 'control plane endpoint 192.168.50.11:6443 (inventory: cluster.control_plane_endpoint) is neither a VIP nor a load balancer'],
    ['a gateway outside its subnet', broken('gateway: 192.168.50.1', 'gateway: 192.168.51.1'), 'lan.gateway: the gateway must be an address of lan.subnet 192.168.50.0/24, got "192.168.51.1" (set at'],
    ['a Calico pool outside the pod subnet', broken('    cluster:\n', '    calico: { ip_pools: [{ cidr: 10.250.0.0/16 }] }\n    cluster:\n'), '10.250.0.0/16'],
    [
      'two VIPs with one VRRP router id on a segment',
      broken('        keepalived:\n          vip: 192.168.50.10', '        keepalived:\n          vip: 192.168.50.10\n          virtual_router_id: 51').replace(
        'gw2: { ansible_host: 192.168.50.3, mac: "52:54:00:00:50:03" }',
        'gw2: { ansible_host: 192.168.50.3, mac: "52:54:00:00:50:03", keepalived: { vip: 192.168.50.20, virtual_router_id: 51 } }',
      ),
      'VRRP router id 51 is used twice on 192.168.50.0/24: VIP 192.168.50.10 (keepalived on gw1) and VIP 192.168.50.20 (keepalived on gw2)',
    ],
    [
      'MTUs differing on one network',
      readFileSync(join(INVENTORY, 'examples/debvisor.yaml'), 'utf8').replace('mtu: 1500, addresses: [10.10.20.11/24]', 'mtu: 9000, addresses: [10.10.20.11/24]'),
      'MTU differs across 10.10.20.0/24: monitor 1500, node1 1500, node2 9000',
    ],
  ])('refuses %s', async (_name, inventory, message) => {
    const { code, out } = await planText(inventory);
    expect(out).toContain(message);
    expect(code).toBe(4);
  });
});

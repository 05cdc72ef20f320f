import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { main } from '../cli/main.js';
import { captureIo } from '../../test/support/io.js';

/**
 * The network plan checks, each on a broken inventory run through the site
 * playbook's `--plan` (offline: no host is contacted): refused with exit 4
 * and one sentence naming who claims what; the repaired inventory passes.
 */
async function plan(yaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-netcheck-')), 'inventory.yaml');
  writeFileSync(file, yaml);
  const io = captureIo();
  const code = await main(site, ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr };
}

/** Seed 001's shape: a /20 LAN, a control plane and a worker; MetalLB announcing by L2 unless changed. */
const cluster = `all:
  vars:
    lan: { subnet: 10.4.0.0/20, gateway: 10.4.0.1 }
    cluster: { name: gt, pod_subnet: 192.168.0.0/16, service_subnet: 172.16.0.0/20, control_plane_endpoint: 10.4.0.11:6443 }
  children:
    control_plane:
      hosts:
        bettley:
          ansible_host: 10.4.0.11
          metallb: { pools: [{ name: lb, addresses: "10.4.11.0 - 10.4.11.254" }], advertisement: l2 }
    workers:
      hosts:
        erenford: { ansible_host: 10.4.0.14 }
`;

describe('plan: an L2-announced pool must lie on a network a node is attached to', () => {
  it('passes a pool inside the nodes\' LAN', async () => {
    const { code, out } = await plan(cluster);
    expect(out).not.toContain('announced by L2');
    expect(code).toBe(0);
  });

  it('refuses a pool on no node network, naming the pool and the networks there are', async () => {
    const { code, out } = await plan(cluster.replace('10.4.11.0 - 10.4.11.254', '10.5.11.0 - 10.5.11.254'));
    expect(code).toBe(4);
    expect(out).toContain('MetalLB pool lb 10.5.11.0-10.5.11.254 (metallb) is announced by L2 (ARP) but lies on no network a node is attached to (10.4.0.0/20)');
  });

  it('a node attached to the pool\'s network through the networking role makes it reachable', async () => {
    const attached = cluster
      .replace('10.4.11.0 - 10.4.11.254', '10.5.11.0 - 10.5.11.254')
      .replace('        erenford: { ansible_host: 10.4.0.14 }', '        erenford: { ansible_host: 10.4.0.14, networking: { interfaces: { eth1: { addresses: [10.5.0.14/16] } } } }');
    const { code, out } = await plan(attached);
    expect(out).not.toContain('announced by L2');
    expect(code).toBe(0);
  });

  it('does not apply to a BGP-announced pool', async () => {
    const bgp = cluster.replace('10.4.11.0 - 10.4.11.254', '10.5.11.0 - 10.5.11.254').replace('advertisement: l2', 'advertisement: none');
    const { out } = await plan(bgp);
    expect(out).not.toContain('announced by L2');
  });
});

describe('plan: a static route\'s gateway must be on one of its host\'s networks', () => {
  const routed = (via: string) =>
    cluster.replace('        erenford: { ansible_host: 10.4.0.14 }', `        erenford: { ansible_host: 10.4.0.14, static_routes: { routes: [{ to: 10.20.0.0/16, via: ${via} }] } }`);

  it('passes a gateway on the LAN', async () => {
    const { code, out } = await plan(routed('10.4.0.254'));
    expect(out).not.toContain('is on none of');
    expect(code).toBe(0);
  });

  it('refuses a gateway on no attached network, naming the route, the host and its networks', async () => {
    const { code, out } = await plan(routed('10.9.0.1'));
    expect(code).toBe(4);
    expect(out).toContain("static route to 10.20.0.0/16 via 10.9.0.1 on erenford (static-routes on erenford): 10.9.0.1 is on none of erenford's networks (10.4.0.0/20 (inventory: erenford))");
  });

  it('counts the networks of the links the networking role configures', async () => {
    const twoLegs = routed('10.9.0.1').replace('static_routes:', 'networking: { interfaces: { eth1: { addresses: [10.9.0.14/24] } } }, static_routes:');
    const { code, out } = await plan(twoLegs);
    expect(out).not.toContain('is on none of');
    expect(code).toBe(0);
  });
});

/** Two dnsmasq servers on one LAN (seed 000's monitor pair). */
const dhcpPair = (gw1: string, gw2: string) => `all:
  vars:
    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1 }
  children:
    dhcp_servers:
      hosts:
        gw1: { ansible_host: 10.10.20.2, dnsmasq: { ${gw1} } }
        gw2: { ansible_host: 10.10.20.3, dnsmasq: { ${gw2} } }
`;

describe('plan: two DHCP servers on one segment', () => {
  it('refuses two servers that are not a declared failover pair, naming both and their ranges', async () => {
    const { code, out } = await plan(dhcpPair('range: { start: 10.10.20.100, end: 10.10.20.149 }', 'range: { start: 10.10.20.150, end: 10.10.20.199 }'));
    expect(code).toBe(4);
    expect(out).toContain('dnsmasq on gw1 (10.10.20.100-10.10.20.149) and dnsmasq on gw2 (10.10.20.150-10.10.20.199) both serve DHCP on 10.10.20.0/24');
  });

  it('passes a declared failover pair with split ranges', async () => {
    const { code, out } = await plan(
      dhcpPair('failover_peer: gw2, range: { start: 10.10.20.100, end: 10.10.20.149 }', 'failover_peer: gw1, range: { start: 10.10.20.150, end: 10.10.20.199 }'),
    );
    expect(out).not.toContain('serve DHCP');
    expect(code).toBe(0);
  });

  it('refuses a failover pair whose ranges overlap', async () => {
    const { code, out } = await plan(dhcpPair('failover_peer: gw2', 'failover_peer: gw1'));
    expect(code).toBe(4);
    expect(out).toContain('dnsmasq on gw1 (10.10.20.100-10.10.20.199) and dnsmasq on gw2 (10.10.20.100-10.10.20.199) are a failover pair on 10.10.20.0/24 but their ranges overlap');
  });
});

/** Seed 003's vmnet2: VMware's NAT serves DHCP 10.10.0.128-254; the nodes have static addresses. */
const vmnet = (range: string, master: string) => `all:
  vars:
    lan: { subnet: 10.10.0.0/24, gateway: 10.10.0.2, external_dhcp: ${range} }
    cluster: { name: dmz, pod_subnet: 10.244.0.0/16, service_subnet: 10.96.0.0/12, control_plane_endpoint: ${master}:6443 }
  children:
    control_plane:
      hosts:
        master1: { ansible_host: ${master} }
`;

describe('plan: the DHCP range of a server labwright does not manage (lan.external_dhcp)', () => {
  it('refuses a node address inside it, naming the node and the declared range', async () => {
    const { code, out } = await plan(vmnet('10.10.0.128-10.10.0.254', '10.10.0.131'));
    expect(code).toBe(4);
    expect(out).toContain('node 10.10.0.131 of master1 (inventory: master1) is inside the dynamic DHCP range 10.10.0.128-10.10.0.254 (inventory: lan.external_dhcp)');
  });

  it('passes nodes outside it and shows it in the address map', async () => {
    const { code, out } = await plan(vmnet('10.10.0.128-10.10.0.254', '10.10.0.31'));
    expect(code).toBe(0);
    expect(out).toMatch(/10\.10\.0\.128-10\.10\.0\.254\s+dhcp\s+DHCP range of a server labwright does not manage\s+\[inventory: lan\.external_dhcp\]/);
  });

  it('refuses a MetalLB pool overlapping it', async () => {
    const pooled = vmnet('[10.10.0.128-10.10.0.254]', '10.10.0.31').replace('master1: { ansible_host: 10.10.0.31 }', 'master1: { ansible_host: 10.10.0.31, metallb: { pools: [{ name: lb, addresses: 10.10.0.240/28 }] } }');
    const { code, out } = await plan(pooled);
    expect(code).toBe(4);
    expect(out).toContain('load balancer pool 10.10.0.240/28 (metallb) overlaps the DHCP range 10.10.0.128-10.10.0.254 (inventory: lan.external_dhcp)');
  });

  it('refuses a dnsmasq range overlapping it, a malformed range, and a range outside lan.subnet', async () => {
    const both = vmnet('10.10.0.128-10.10.0.254', '10.10.0.31') + '    dhcp_servers:\n      hosts:\n        gw1: { ansible_host: 10.10.0.3 }\n';
    const overlap = await plan(both);
    expect(overlap.code).toBe(4);
    expect(overlap.out).toContain('hand out the same addresses on 10.10.0.0/24');
    const malformed = await plan(vmnet('10.10.0.300-10.10.0.254', '10.10.0.31'));
    expect(malformed.code).toBe(4);
    expect(malformed.out).toMatch(/host master1: lan\.external_dhcp: expected an IPv4 range such as 10\.10\.0\.128-10\.10\.0\.254, or a list of them, got "10\.10\.0\.300-10\.10\.0\.254" \(set at .*inventory\.yaml:3:/);
    const outside = await plan(vmnet('10.10.1.128-10.10.1.254', '10.10.0.31'));
    expect(outside.code).toBe(4);
    expect(outside.out).toContain('lan.external_dhcp: range 10.10.1.128-10.10.1.254 is not inside lan.subnet 10.10.0.0/24');
  });
});

describe('plan: lan.gateway outside lan.subnet', () => {
  it('is reported on lan.gateway itself, with the file:line it was written at (not as dnsmasq.router)', async () => {
    const yaml = vmnet('10.10.0.128-10.10.0.254', '10.10.0.31').replace('gateway: 10.10.0.2', 'gateway: 10.10.1.2') + '    dhcp_servers:\n      hosts:\n        gw1: { ansible_host: 10.10.0.3 }\n';
    const { code, out } = await plan(yaml);
    expect(code).toBe(4);
    expect(out).toMatch(/lan\.gateway: the gateway must be an address of lan\.subnet 10\.10\.0\.0\/24, got "10\.10\.1\.2" \(set at .*inventory\.yaml:3:\d+\)/);
    expect(out).not.toContain('dnsmasq.router');
  });
});

describe('seed 003 as the example models it (inventory/examples/dmz-gateways.yaml)', () => {
  const example = readFileSync(fileURLToPath(new URL('../../inventory/examples/dmz-gateways.yaml', import.meta.url)), 'utf8');

  it("with VMware's range as the seed has it, the nodes' static addresses inside it are refused", async () => {
    expect(example).toContain('external_dhcp: 10.10.0.200-10.10.0.254');
    const { code, out } = await plan(example.replace('external_dhcp: 10.10.0.200-10.10.0.254', 'external_dhcp: 10.10.0.128-10.10.0.254'));
    expect(code).toBe(4);
    for (const [node, ip] of [['master1', '10.10.0.131'], ['worker2', '10.10.0.142']]) {
      expect(out).toContain(`node ${ip} of ${node} (inventory: ${node}) is inside the dynamic DHCP range 10.10.0.128-10.10.0.254 (inventory: lan.external_dhcp)`);
    }
  });

  it("the gateways' second NIC (ens192) attaches them to vmnet2: a route there via the NAT gateway passes, one via the LAN's far side does not", async () => {
    const routed = (via: string) =>
      example.replace('              ens192: { addresses: [10.10.0.11/24] }\n', `              ens192: { addresses: [10.10.0.11/24] }\n          static_routes: { routes: [{ to: 172.31.0.0/16, via: ${via} }] }\n`);
    expect((await plan(routed('10.10.0.2'))).code).toBe(0);
    const { code, out } = await plan(routed('10.20.0.1'));
    expect(code).toBe(4);
    expect(out).toContain("static route to 172.31.0.0/16 via 10.20.0.1 on gateway1 (static-routes on gateway1): 10.20.0.1 is on none of gateway1's networks (192.168.68.0/24 on ens160, 10.10.0.0/24 on ens192)");
  });
});

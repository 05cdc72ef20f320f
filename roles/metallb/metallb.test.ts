import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { play, type RoleUse } from '../../src/engine/definitions.js';
import { objectYaml } from '../../src/ops/kubectl.js';
import { clusterInventory, firstHost, metallbVarsFor, renderMetallb, seed001, seed001Metallb } from '../../scripts/crd-check/cases.js';
import { calico } from '../calico/index.js';
import { staticRoutes } from '../static-routes/index.js';
import type { StaticRoutesVars } from '../static-routes/vars.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { loadBalancerCidrs, metallb } from './index.js';
import { advertisements, lanInterfaces, metallbClaims, poolCidrs } from './model.js';
import { metallbVars, type MetallbVars } from './vars.js';
import { site } from '../../playbooks/site.js';
import type { IpAddress } from '../../src/facts/builtin.js';
import { captureIo } from '../../test/support/io.js';

const groups = { control_plane: ['cp1'], workers: ['w1'] };
const inv = (all: Record<string, unknown>) => clusterInventory({ all, groups });

describe('metallb vars', () => {
  it('accepts seed 001\'s spaced range and normalises it; CIDRs to their network', () => {
    const v = metallbVars.parse({ pools: [{ name: 'a', addresses: '10.4.11.0 - 10.4.15.254' }, { name: 'b', addresses: ['10.0.50.7/24', ' 10.0.51.1-10.0.51.9 '] }] });
    expect(v.pools[0].addresses).toEqual(['10.4.11.0-10.4.15.254']);
    expect(v.pools[1].addresses).toEqual(['10.0.50.0/24', '10.0.51.1-10.0.51.9']);
  });

  it('refuses reversed ranges and garbage with the field named; no pools means no MetalLB', () => {
    expect(() => metallbVars.parse({ pools: [{ name: 'a', addresses: '10.4.15.254 - 10.4.11.0' }] })).toThrow(/not an IPv4 range .*first-last.* with first <= last/);
    expect(() => metallbVars.parse({ pools: [{ name: 'a', addresses: 'lan' }] })).toThrow(/neither an IPv4 CIDR/);
    expect(metallbVars.parse({}).pools).toEqual([]);
    expect(() => metallbVars.parse({ pools: [{ name: 'Bad_Name', addresses: '10.0.0.0/24' }] })).toThrow(/Kubernetes name/);
  });

  it('announces with BGP when peers are set, else L2', () => {
    expect(renderMetallb(inv({ metallb: { pools: [{ name: 'lan', addresses: '10.0.50.0/24' }] } })).map((o) => o.kind)).toEqual(['IPAddressPool', 'L2Advertisement']);
    expect(renderMetallb(inv({ ...seed001, metallb: seed001Metallb })).map((o) => `${o.apiVersion} ${o.kind}`)).toEqual([
      'metallb.io/v1beta1 IPAddressPool',
      'metallb.io/v1beta2 BGPPeer',
      'metallb.io/v1beta1 BGPAdvertisement',
    ]);
    expect(renderMetallb(inv({ metallb: { pools: [{ name: 'lan', addresses: '10.0.50.0/24' }], advertisement: 'none' } })).map((o) => o.kind)).toEqual(['IPAddressPool']);
  });
});

describe('metallb resources', () => {
  it('renders seed 001: the normalised range, the v1beta2 peer, the advertisement naming the pool', () => {
    const [pool, peer, adv] = renderMetallb(inv({ ...seed001, metallb: seed001Metallb }));
    expect(objectYaml(pool)).toBe(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: goldentooth
  namespace: metallb-system
spec:
  addresses:
    - 10.4.11.0-10.4.15.254
  autoAssign: true
  avoidBuggyIPs: false
`);
    expect(peer.spec).toEqual({ myASN: 64501, peerASN: 64500, peerAddress: '10.4.0.1' });
    expect(adv.spec).toEqual({ ipAddressPools: ['goldentooth'] });
  });

  it('L2 options: interfaces and node selectors', () => {
    const [, l2] = renderMetallb(inv({ metallb: { pools: [{ name: 'lan', addresses: '10.0.50.0/24' }], l2_interfaces: ['eth0'], node_selector: { lb: 'yes' } } }));
    expect(l2.spec).toEqual({ ipAddressPools: ['lan'], interfaces: ['eth0'], nodeSelectors: [{ matchLabels: { lb: 'yes' } }] });
  });
});

describe('metallb for the example inventories', () => {
  const example = (file: string) => loadInventory([fileURLToPath(new URL(`../../${file}`, import.meta.url))]);
  const eth = (ifname: string, local: string, prefixlen = 24): IpAddress => ({ ifname, mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local, prefixlen }] });

  it('home.yaml: the L2Advertisement answers ARP only on the LAN interface (the one holding the node address), not on every interface', async () => {
    const inv = await example('inventory/home.yaml');
    const cp1 = inv.hosts.get('cp1')!;
    const vars = resolveRoleVars(metallb as RoleUse, cp1, inv) as MetallbVars;
    const facts = [eth('lo', '127.0.0.1', 8), eth('enp1s0', '192.168.50.11'), eth('enp1s0.30', '10.30.0.11')];
    const l2 = advertisements(vars, lanInterfaces(cp1, inv, facts))[0]!;
    expect(objectYaml(l2)).toBe(`apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: labwright-l2
  namespace: metallb-system
spec:
  ipAddressPools:
    - lan
  interfaces:
    - enp1s0
`);
    expect(advertisements({ ...vars, l2_interfaces: [] }, ['enp1s0'])[0]!.spec).toEqual({ ipAddressPools: ['lan'] });
  });

  it('seed 000: the bridge br0 that holds the node addresses, not the tenant VLAN br0.100 on it', async () => {
    const inv = await example('inventory/examples/debvisor.yaml');
    const node1 = inv.hosts.get('node1')!;
    expect(lanInterfaces(node1, inv, [eth('br0', '10.10.20.10'), eth('br0.100', '10.100.0.10')])).toEqual(['br0']);
    // the inventory names it even where the fact is of no help
    expect(lanInterfaces(node1, inv, [])).toEqual(['br0']);
  });

  it('warns when a BGP pool lies inside the nodes\' own subnet (seed 001: 10.4.11.0-10.4.15.254 inside 10.4.0.0/20); an L2 pool there is fine', async () => {
    const plan = async (file: string) => {
      const io = captureIo();
      const code = await main(site, ['-i', fileURLToPath(new URL(`../../${file}`, import.meta.url)), '--plan'], io);
      return { code, err: io.stderr };
    };
    const goldentooth = await plan('inventory/examples/goldentooth.yaml');
    expect(goldentooth.code).toBe(0);
    expect(goldentooth.err).toContain(
      "MetalLB pool goldentooth (10.4.11.0-10.4.15.254) is announced by BGP but lies inside the nodes' own subnet 10.4.0.0/20: other hosts of that LAN take its addresses as on-link and ARP for them",
    );
    expect((await plan('inventory/home.yaml')).err).not.toContain('WARNING');
  });
});

describe('pools for routes and for Calico', () => {
  it('splits ranges into exact CIDRs (what static routes and serviceLoadBalancerIPs need)', () => {
    expect(poolCidrs(metallbVars.parse({ pools: [{ name: 'a', addresses: '10.4.11.0 - 10.4.15.255' }, { name: 'b', addresses: '10.0.50.0/24' }] }))).toEqual([
      '10.4.11.0/24',
      '10.4.12.0/22',
      '10.0.50.0/24',
    ]);
    expect(loadBalancerCidrs(firstHost(inv({ metallb: { pools: [{ name: 'a', addresses: '10.4.11.0/24' }] } })))).toEqual(['10.4.11.0/24']);
    expect(loadBalancerCidrs(firstHost(inv({})))).toEqual([]);
  });

  it('feeds the static-routes role from the same inventory value (a YAML anchor: the pool is written once)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-metallb-routes-'));
    const path = join(dir, 'inventory.yaml');
    writeFileSync(
      path,
      `all:
  vars:
    metallb:
      pools:
        - name: goldentooth
          addresses: &lb_pool "10.4.11.0 - 10.4.15.254"
    static_routes:
      routes:
        - { to: *lb_pool, dev: eth0 }
  children:
    control_plane:
      hosts:
        cp1: { ansible_connection: local }
`,
    );
    const inventory = await loadInventory([path]);
    const host = inventory.hosts.get('cp1')!;
    const routes = (resolveRoleVars(staticRoutes as RoleUse, host, inventory) as StaticRoutesVars).routes;
    expect(routes.flatMap((r) => r.to)).toEqual(loadBalancerCidrs(host));
    expect(loadBalancerCidrs(host)[0]).toBe('10.4.11.0/24');
  });

  it('declares each pool entry as a load balancer range for the plan check, L2-announced ones as such', () => {
    expect(metallbClaims(metallbVars.parse({ pools: [{ name: 'a', addresses: '10.4.11.0 - 10.4.15.254' }] }))).toEqual([
      { kind: 'range', by: 'metallb', range: '10.4.11.0-10.4.15.254', purpose: 'loadbalancer', what: 'MetalLB pool a', announce: 'l2' },
    ]);
    expect(metallbClaims(metallbVars.parse({ pools: [{ name: 'a', addresses: '10.4.11.0 - 10.4.15.254' }], advertisement: 'none' }))).toEqual([
      { kind: 'range', by: 'metallb', range: '10.4.11.0-10.4.15.254', purpose: 'loadbalancer', what: 'MetalLB pool a' },
    ]);
  });
});

describe('refusals', () => {
  /** The real CLI on an inventory of local hosts: the plan check refuses before any host is touched. */
  async function runCheck(all: Record<string, unknown>, roles: RoleUse[] = [metallb]): Promise<{ code: number; out: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'lw-metallb-'));
    const path = join(dir, 'inventory.yaml');
    writeFileSync(path, stringify({ all: { vars: { ansible_connection: 'local', ...all }, children: { control_plane: { hosts: { cp1: { ip: '10.0.0.11' } } }, workers: { hosts: { w1: { ip: '10.0.0.21' } } } } } }));
    const io = captureIo();
    const code = await main([play({ name: 'addons', hosts: 'all', roles })], ['-i', path, '--check'], io);
    return { code, out: io.text() };
  }

  it('refuses a pool overlapping the service network, before touching a host', async () => {
    const { code, out } = await runCheck({ cluster: { service_subnet: '10.96.0.0/12' }, metallb: { pools: [{ name: 'bad', addresses: '10.96.0.0/24' }] } });
    expect(code).toBe(4);
    expect(out).toContain('load balancer pool 10.96.0.0/24 (metallb) overlaps the service network (kubernetes) 10.96.0.0/12');
    expect(out).toContain('no host was touched');
  });

  it('refuses a spaced range overlapping the pod network, and one holding a node address', async () => {
    const { code, out } = await runCheck({ cluster: { pod_subnet: '10.244.0.0/16' }, metallb: { pools: [{ name: 'p', addresses: '10.244.255.0 - 10.245.0.10' }, { name: 'n', addresses: '10.0.0.10-10.0.0.12' }] } });
    expect(code).toBe(4);
    expect(out).toContain('load balancer pool 10.244.255.0-10.245.0.10 (metallb) overlaps the pod network (kubernetes) 10.244.0.0/16');
    expect(out).toContain('load balancer pool 10.0.0.10-10.0.0.12 (metallb) contains node 10.0.0.11 of cp1');
  });

  it('refuses overlapping pools', async () => {
    const { code, out } = await runCheck({ metallb: { pools: [{ name: 'a', addresses: '10.0.50.0/24' }, { name: 'b', addresses: '10.0.50.128 - 10.0.51.10' }] } });
    expect(code).toBe(4);
    expect(out).toMatch(/load balancer pools 10\.0\.50\.0\/24 \(metallb\) and 10\.0\.50\.128-10\.0\.51\.10 \(metallb\) overlap/);
  });

  it('refuses MetalLB BGP to the router Calico already peers with', async () => {
    const { code, out } = await runCheck(
      {
        ...seed001,
        calico: { bgp_peers: [{ name: 'router', peer_ip: '10.4.0.1', as_number: 64500 }] },
        metallb: seed001Metallb,
      },
      [calico, metallb],
    );
    expect(code).toBe(4);
    expect(out).toContain('Calico already peers with 10.4.0.1');
    expect(out).toContain('set metallb.advertisement: none');
  });

  it('needs the control plane group the kubectl work runs on', () => {
    const none = clusterInventory({ all: { metallb: { pools: [{ name: 'a', addresses: '10.0.50.0/24' }] } }, groups: { masters: ['m1'] } });
    expect(() => metallbVarsFor(none)).toThrow(/cluster.control_plane_group is "control_plane" but the inventory has no host in such a group/);
  });
});

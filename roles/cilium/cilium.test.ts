import { describe, expect, it } from 'vitest';
import { clusterInventory, firstHost } from '../../scripts/crd-check/cases.js';
import { ciliumVarsFor, seed003, seed003Groups } from '../../scripts/crd-check/cilium-cases.js';
import { ciliumRelease } from './index.js';
import { ciliumClaims, ciliumProblems, ciliumResources, ciliumValues } from './model.js';
import { ciliumVars } from './vars.js';

const seed003Cilium = { routing: { mode: 'native' }, hubble: { enabled: true, relay: true, ui: true }, gateway_api: { enabled: true } };

function rendered(all: Record<string, unknown>, groups: Record<string, string[]> = seed003Groups) {
  const inventory = clusterInventory({ all, groups });
  const host = firstHost(inventory);
  const vars = ciliumVarsFor(inventory, host);
  return { vars, values: ciliumValues(vars, host, inventory), host, inventory };
}

describe('cilium values', () => {
  it('seed 003: kube-proxy replacement at the API endpoint, native routing of 10.244.0.0/16, cluster-pool IPAM from cluster.pod_subnet, Hubble and Gateway API', () => {
    const { values, vars, host, inventory } = rendered({ ...seed003, cilium: seed003Cilium });
    expect(values).toEqual({
      kubeProxyReplacement: true,
      k8sServiceHost: '10.10.0.10',
      k8sServicePort: 6443,
      routingMode: 'native',
      ipv4NativeRoutingCIDR: '10.244.0.0/16',
      autoDirectNodeRoutes: true,
      ipam: { mode: 'cluster-pool', operator: { clusterPoolIPv4PodCIDRList: ['10.244.0.0/16'], clusterPoolIPv4MaskSize: 24 } },
      hubble: { enabled: true, relay: { enabled: true }, ui: { enabled: true } },
      gatewayAPI: { enabled: true },
    });
    expect(ciliumRelease(vars, host, inventory)).toMatchObject({ name: 'cilium', namespace: 'kube-system', chart: 'cilium', repo: 'https://helm.cilium.io/', version: '1.18.2' });
  });

  it('the API endpoint comes from the inventory when cluster.control_plane_endpoint is unset: the gateways\' keepalived VIP and haproxy port', () => {
    const inventory = clusterInventory({
      all: { cluster: { pod_subnet: '10.244.0.0/16', cni: 'cilium' } },
      groups: { gateways: ['gw1'], control_plane: ['cp1'], workers: ['w1'] },
      hostVars: { gw1: { keepalived: { vip: '192.168.68.200/24' }, haproxy: { api: { port: 6443 } } } },
    });
    const host = inventory.hosts.get('cp1')!;
    const values = ciliumValues(ciliumVarsFor(inventory, host), host, inventory);
    expect([values.k8sServiceHost, values.k8sServicePort]).toEqual(['192.168.68.200', 6443]);
  });

  it('tunnel mode with geneve, kubernetes IPAM, no kube-proxy replacement (then no k8sServiceHost), extra_values merged last', () => {
    const { values } = rendered({
      ...seed003,
      cilium: { kube_proxy_replacement: false, routing: { tunnel_protocol: 'geneve' }, ipam: { mode: 'kubernetes' }, extra_values: { operator: { replicas: 1 }, hubble: { enabled: true } } },
    });
    expect(values).toEqual({ kubeProxyReplacement: false, routingMode: 'tunnel', tunnelProtocol: 'geneve', ipam: { mode: 'kubernetes' }, hubble: { enabled: true }, operator: { replicas: 1 } });
  });

  it('L2 or BGP announcement turns on the matching Cilium feature', () => {
    const l2 = rendered({ ...seed003, cilium: { load_balancer: { pools: [{ name: 'p', addresses: '10.10.0.200/29' }] } } });
    expect(l2.values.l2announcements).toEqual({ enabled: true });
    const bgp = rendered({ ...seed003, cilium: { routing: { mode: 'native' }, load_balancer: { announce: 'bgp', pools: [{ name: 'p', addresses: '10.10.1.0/28' }], bgp: { local_asn: 64512, peers: [{ name: 'r', address: '10.10.0.2', asn: 64500 }] } } } });
    expect(bgp.values.bgpControlPlane).toEqual({ enabled: true });
    expect(bgp.values.l2announcements).toBeUndefined();
  });
});

describe('cilium resources and checks', () => {
  it('pools become blocks (CIDR or start/stop); BGP peers reference the peer config that selects the advertisement', () => {
    const { vars } = rendered({
      ...seed003,
      cilium: { routing: { mode: 'native' }, load_balancer: { announce: 'bgp', pools: [{ name: 'p', addresses: ['10.10.1.0/28', '10.10.2.10 - 10.10.2.20'] }], bgp: { local_asn: 64512, peers: [{ name: 'r', address: '10.10.0.2', asn: 64500 }] } } },
    });
    const [pool, advert, peerConfig, cluster] = ciliumResources(vars);
    expect(pool.spec).toEqual({ blocks: [{ cidr: '10.10.1.0/28' }, { start: '10.10.2.10', stop: '10.10.2.20' }] });
    const selector = (peerConfig.spec as { families: { advertisements: { matchLabels: Record<string, string> } }[] }).families[0].advertisements.matchLabels;
    expect(advert.metadata.labels).toEqual(selector);
    expect((advert.spec as { advertisements: { advertisementType: string }[] }).advertisements.map((a) => a.advertisementType)).toEqual(['PodCIDR', 'Service']);
    expect(cluster.spec).toEqual({ bgpInstances: [{ name: 'labwright', localASN: 64512, peers: [{ name: 'r', peerASN: 64500, peerAddress: '10.10.0.2', peerConfigRef: { name: peerConfig.metadata.name } }] }] });
  });

  it('refuses combinations Cilium cannot run, each naming the key', () => {
    const problems = (cilium: Record<string, unknown>) => ciliumProblems(ciliumVars.parse(cilium), firstHost(clusterInventory({ all: seed003, groups: seed003Groups })));
    expect(problems({ kube_proxy_replacement: false, gateway_api: { enabled: true } })).toEqual([
      'cilium.gateway_api.enabled needs cilium.kube_proxy_replacement: true (Cilium\'s Gateway API runs on its kube-proxy replacement)',
    ]);
    expect(problems({ hubble: { ui: true } })).toEqual([
      'cilium.hubble.ui needs cilium.hubble.relay: true (the UI reads flows from Relay)',
      'cilium.hubble.relay/ui need cilium.hubble.enabled: true',
    ]);
    expect(problems({ load_balancer: { announce: 'bgp', pools: [{ name: 'p', addresses: '10.1.0.0/28' }], bgp: { local_asn: 1, peers: [{ name: 'r', address: '10.0.0.1', asn: 2 }] } } })[0]).toMatch(/advertise_pod_cidrs routes pods without overlay: set cilium.routing.mode: native/);
    expect(ciliumVars.safeParse({ load_balancer: { announce: 'bgp', pools: [{ name: 'p', addresses: '10.1.0.0/28' }] } }).error?.issues[0].message).toBe('announce: bgp needs bgp settings, and bgp settings need announce: bgp');
    expect(ciliumVars.safeParse({ routing: { native_cidr: '10.0.0.0/8' } }).error?.issues[0].message).toBe('native_cidr is for mode: native');
    expect(ciliumVars.safeParse({ version: '1.18' }).error?.issues[0].message).toMatch(/exact Cilium chart version/);
  });

  it('declares its pools to the plan check as load balancer ranges (L2-announced when L2)', () => {
    const vars = ciliumVars.parse({ load_balancer: { pools: [{ name: 'vmnet2', addresses: ['10.10.0.200/29', '10.10.0.210 - 10.10.0.215'] }] } });
    expect(ciliumClaims(vars)).toEqual([
      { kind: 'range', by: 'cilium', range: '10.10.0.200/29', purpose: 'loadbalancer', what: 'Cilium LoadBalancer pool vmnet2', announce: 'l2' },
      { kind: 'range', by: 'cilium', range: '10.10.0.210-10.10.0.215', purpose: 'loadbalancer', what: 'Cilium LoadBalancer pool vmnet2', announce: 'l2' },
    ]);
  });
});

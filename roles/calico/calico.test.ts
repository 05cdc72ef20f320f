import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { calico } from './index.js';
import type { CalicoVars } from './vars.js';
import { objectYaml } from '../../src/ops/kubectl.js';
import { clusterOf } from '../../src/net/cluster.js';
import { calicoVarsFor, clusterInventory, firstHost, renderCalico, seed001 } from '../../scripts/crd-check/cases.js';
import { autodetectionEnv, calicoNodePatch, kustomization } from './manifest-mode.js';
import { calicoClaims, calicoModel, nodeAddressAutodetection, poolModes, type Installation } from './model.js';
import { ENCAPSULATIONS } from './vars.js';

const groups = { control_plane: ['cp1'], workers: ['w1'] };
const inv = (all: Record<string, unknown>) => clusterInventory({ all, groups });
const installationOf = (all: Record<string, unknown>) => renderCalico(inv(all)).find((o) => o.kind === 'Installation') as Installation;
const model = (all: Record<string, unknown>) => {
  const i = inv(all);
  return calicoModel(calicoVarsFor(i), firstHost(i));
};

describe('Installation from the cluster var', () => {
  it('defaults: one pool over cluster.pod_subnet with Calico\'s defaults, BGP on, the APIServer beside it', () => {
    const objects = renderCalico(inv({}));
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['operator.tigera.io/v1 Installation', 'operator.tigera.io/v1 APIServer']);
    expect(objectYaml(objects[0])).toBe(`apiVersion: operator.tigera.io/v1
kind: Installation
metadata:
  name: default
spec:
  calicoNetwork:
    bgp: Enabled
    ipPools:
      - name: default-ipv4-ippool
        cidr: 192.168.0.0/16
        encapsulation: IPIPCrossSubnet
        natOutgoing: Enabled
        blockSize: 26
        nodeSelector: all()
    nodeAddressAutodetectionV4:
      kubernetes: NodeInternalIP
`);
  });

  it('takes the pool from cluster.pod_subnet (seed 002: 10.244.0.0/16); node addresses from CIDRs only when asked', () => {
    const i = installationOf({ cluster: { pod_subnet: '10.244.0.0/16' }, lan: { subnet: '192.168.4.0/24' } });
    expect(i.spec.calicoNetwork.ipPools[0].cidr).toBe('10.244.0.0/16');
    expect(i.spec.calicoNetwork.nodeAddressAutodetectionV4).toEqual({ kubernetes: 'NodeInternalIP' });
    const cidrs = installationOf({ lan: { subnet: '192.168.4.0/24' }, calico: { node_address_cidrs: ['192.168.4.0/24'] } });
    expect(cidrs.spec.calicoNetwork.nodeAddressAutodetectionV4).toEqual({ cidrs: ['192.168.4.0/24'] });
    expect(autodetectionEnv({ cidrs: ['192.168.4.0/24', '10.0.0.0/8'] })).toEqual({ name: 'IP_AUTODETECTION_METHOD', value: 'cidr=192.168.4.0/24,10.0.0.0/8' });
  });

  it.each(ENCAPSULATIONS)('encapsulation %s: in the Installation, as IPPool modes and as calico-node variables', (encapsulation) => {
    const m = model({ calico: { ip_pools: [{ encapsulation }] } });
    expect((m.install[0] as Installation).spec.calicoNetwork.ipPools[0].encapsulation).toBe(encapsulation);
    const modes = poolModes(encapsulation);
    expect(m.ipPools[0].spec).toMatchObject({ ipipMode: modes.ipip, vxlanMode: modes.vxlan });
    const env = Object.fromEntries(calicoNodePatch(m.pools[0], { kubernetes: 'NodeInternalIP' }).spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    expect([env.CALICO_IPV4POOL_IPIP, env.CALICO_IPV4POOL_VXLAN]).toEqual([modes.ipip, modes.vxlan]);
  });

  it('maps each encapsulation to the right ipip/vxlan modes', () => {
    expect(ENCAPSULATIONS.map((e) => `${e}=${poolModes(e).ipip}/${poolModes(e).vxlan}`)).toEqual([
      'IPIP=Always/Never',
      'IPIPCrossSubnet=CrossSubnet/Never',
      'VXLAN=Never/Always',
      'VXLANCrossSubnet=Never/CrossSubnet',
      'None=Never/Never',
    ]);
  });

  it('block size, NAT, node selector, MTU', () => {
    const i = installationOf({ calico: { mtu: 1450, ip_pools: [{ block_size: 28, nat_outgoing: false, node_selector: "rack == 'a'" }] } });
    expect(i.spec.calicoNetwork.ipPools[0]).toMatchObject({ blockSize: 28, natOutgoing: 'Disabled', nodeSelector: "rack == 'a'" });
    expect(i.spec.calicoNetwork.mtu).toBe(1450);
  });

  it('BGP off for an all-VXLAN cluster without peers, on as soon as BGP is configured', () => {
    expect(installationOf({ calico: { ip_pools: [{ encapsulation: 'VXLAN' }] } }).spec.calicoNetwork.bgp).toBe('Disabled');
    expect(installationOf({ calico: { ip_pools: [{ encapsulation: 'VXLANCrossSubnet' }], bgp_peers: [{ name: 'r', peer_ip: '10.0.0.1', as_number: 64500 }] } }).spec.calicoNetwork.bgp).toBe('Enabled');
    expect(installationOf({ calico: { ip_pools: [{ encapsulation: 'None' }] } }).spec.calicoNetwork.bgp).toBe('Enabled');
  });
});

describe('refusals', () => {
  it('BGP disabled with IPIP or unencapsulated pools, or with peers', () => {
    expect(() => model({ calico: { bgp: 'Disabled' } })).toThrow(/pool default-ipv4-ippool uses IPIPCrossSubnet: IPIP routes between nodes are distributed by BGP/);
    expect(() => model({ calico: { bgp: 'Disabled', ip_pools: [{ encapsulation: 'None' }] } })).toThrow(/unencapsulated routes/);
    expect(() => model({ calico: { bgp: 'Disabled', ip_pools: [{ encapsulation: 'VXLAN' }], bgp_peers: [{ name: 'r', peer_ip: '10.0.0.1', as_number: 1 }] } })).toThrow(/bgp_peers\/bgp_configuration are set/);
  });

  it('pools: a block bigger than its pool, overlapping pools, an unnamed second pool', () => {
    expect(() => model({ cluster: { pod_subnet: '10.244.0.0/16' }, calico: { ip_pools: [{ cidr: '10.244.0.0/24', block_size: 20 }] } })).toThrow(/block_size \/20 is bigger than the pool 10.244.0.0\/24/);
    expect(() => model({ cluster: { pod_subnet: '10.244.0.0/16' }, calico: { ip_pools: [{}, { name: 'b', cidr: '10.244.8.0/24' }] } })).toThrow(/default-ipv4-ippool 10.244.0.0\/16 overlaps b 10.244.8.0\/24/);
    expect(() => model({ cluster: { pod_subnet: '10.244.0.0/16' }, calico: { ip_pools: [{ cidr: '10.244.0.0/17' }, { cidr: '10.244.128.0/17' }] } })).toThrow(/ip_pools\[1\]: give the pool a name/);
  });

  it('declares its pools inside cluster.pod_subnet for the plan check (which refuses one outside)', () => {
    const i = inv({ cluster: { pod_subnet: '10.244.0.0/16' }, calico: { ip_pools: [{}, { name: 'extra', cidr: '10.250.0.0/24' }] } });
    expect(calicoClaims(calicoVarsFor(i), clusterOf(firstHost(i)))).toEqual([
      { kind: 'within', by: 'calico', cidr: '10.244.0.0/16', what: 'Calico pool default-ipv4-ippool', outer: '10.244.0.0/16', outerWhat: 'cluster.pod_subnet' },
      { kind: 'within', by: 'calico', cidr: '10.250.0.0/24', what: 'Calico pool extra', outer: '10.244.0.0/16', outerWhat: 'cluster.pod_subnet' },
    ]);
  });

  it('projectcalico.org/v3 only through the operator\'s API server; manifest mode keeps Calico\'s pool name', () => {
    expect(() => model({ calico: { resource_api: 'projectcalico.org/v3', api_server: false } })).toThrow(/served by the Calico API server/);
    expect(() => model({ calico: { mode: 'manifest', resource_api: 'projectcalico.org/v3' } })).toThrow(/served by the Calico API server/);
    expect(() => model({ calico: { mode: 'manifest', ip_pools: [{ name: 'pods' }] } })).toThrow(/first pool must keep that name/);
  });

  it('a peer with both node and node_selector (Calico refuses both), an invalid encapsulation', () => {
    expect(() => calicoVarsFor(inv({ calico: { bgp_peers: [{ name: 'r', peer_ip: '10.0.0.1', as_number: 64500, node: 'cp1', node_selector: 'all()' }] } }))).toThrow(/set node or node_selector, not both/);
    expect(() => calicoVarsFor(inv({ calico: { ip_pools: [{ encapsulation: 'GRE' }] } }))).toThrow(/calico.ip_pools.0.encapsulation/);
  });
});

describe('BGP resources', () => {
  it('seed 001: cluster AS 64501, the router 10.4.0.1 as AS 64500, as crd.projectcalico.org/v1', () => {
    const objects = renderCalico(clusterInventory({ all: { ...seed001, calico: { bgp_configuration: { as_number: 64501 }, bgp_peers: [{ name: 'router', peer_ip: '10.4.0.1', as_number: 64500 }] } }, groups }));
    const bgp = objects.filter((o) => o.kind.startsWith('BGP'));
    expect(bgp).toEqual([
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { asNumber: 64501, nodeToNodeMeshEnabled: true } },
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: 'router' }, spec: { peerIP: '10.4.0.1', asNumber: 64500 } },
    ]);
  });

  it('announces the MetalLB pools when MetalLB only allocates (advertisement none)', () => {
    const objects = renderCalico(
      clusterInventory({
        all: { ...seed001, calico: { bgp_peers: [{ name: 'router', peer_ip: '10.4.0.1', as_number: 64500 }] }, metallb: { pools: [{ name: 'lb', addresses: '10.4.11.0 - 10.4.12.255' }], advertisement: 'none' } },
        groups,
      }),
    );
    expect(objects.find((o) => o.kind === 'BGPConfiguration')?.spec).toEqual({ nodeToNodeMeshEnabled: true, serviceLoadBalancerIPs: [{ cidr: '10.4.11.0/24' }, { cidr: '10.4.12.0/24' }] });
  });

  it('projectcalico.org/v3 when asked', () => {
    const objects = renderCalico(inv({ calico: { resource_api: 'projectcalico.org/v3', bgp_peers: [{ name: 'r', peer_ip: '10.0.0.1', as_number: 64500, node: 'cp1' }] } }));
    expect(objects.at(-1)).toEqual({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: { name: 'r' }, spec: { peerIP: '10.0.0.1', asNumber: 64500, node: 'cp1' } });
  });
});

describe('manifest mode', () => {
  it('kustomization: the vendor manifest untouched plus a patch of calico-node\'s pool variables', () => {
    expect(objectYaml(kustomization('calico-v3.29.3-abcd.yaml'))).toBe(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - calico-v3.29.3-abcd.yaml
patches:
  - path: calico-node-ipv4pool.yaml
`);
    const m = model({ cluster: { pod_subnet: '10.244.0.0/16' }, calico: { mode: 'manifest', ip_pools: [{ encapsulation: 'VXLANCrossSubnet', block_size: 24, nat_outgoing: false }] } });
    expect(calicoNodePatch(m.pools[0], { kubernetes: 'NodeInternalIP' }).spec.template.spec.containers[0].env).toEqual([
      { name: 'CALICO_IPV4POOL_CIDR', value: '10.244.0.0/16' },
      { name: 'CALICO_IPV4POOL_IPIP', value: 'Never' },
      { name: 'CALICO_IPV4POOL_VXLAN', value: 'CrossSubnet' },
      { name: 'CALICO_IPV4POOL_BLOCK_SIZE', value: '24' },
      { name: 'CALICO_IPV4POOL_NAT_OUTGOING', value: 'false' },
      { name: 'CALICO_IPV4POOL_NODE_SELECTOR', value: 'all()' },
      { name: 'IP_AUTODETECTION_METHOD', value: 'kubernetes-internal-ip' },
    ]);
    expect(renderCalico(inv({ calico: { mode: 'manifest' } })).map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toEqual(['crd.projectcalico.org/v1 IPPool default-ipv4-ippool']);
  });
});

describe('Calico for the example inventories', () => {
  const calicoFor = async (file: string) => {
    const inventory = await loadInventory([fileURLToPath(new URL(`../../${file}`, import.meta.url))]);
    const host = inventory.hosts.get(inventory.groups.get('control_plane')!.hosts[0]!)!;
    const vars = resolveRoleVars(calico as RoleUse, host, inventory) as CalicoVars;
    return { vars, model: calicoModel(vars, host) };
  };

  it('home.yaml: the node address is the InternalIP kubelet registered (never the keepalived VIP inside lan.subnet), IPIP only across subnets', async () => {
    const { vars, model: m } = await calicoFor('inventory/home.yaml');
    const net = (m.install[0] as Installation).spec.calicoNetwork;
    expect(net.nodeAddressAutodetectionV4).toEqual({ kubernetes: 'NodeInternalIP' });
    expect(net.ipPools[0].encapsulation).toBe('IPIPCrossSubnet');
    expect(m.ipPools[0].spec).toMatchObject({ ipipMode: 'CrossSubnet', vxlanMode: 'Never' });
    const env = calicoNodePatch(m.pools[0], nodeAddressAutodetection({ ...vars })).spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'IP_AUTODETECTION_METHOD', value: 'kubernetes-internal-ip' });
    expect(env).toContainEqual({ name: 'CALICO_IPV4POOL_IPIP', value: 'CrossSubnet' });
  });

  it('vmstation.yaml keeps the IPIP it asks for; debvisor.yaml (one bridged LAN) gets IPIPCrossSubnet', async () => {
    expect((await calicoFor('inventory/examples/vmstation.yaml')).model.pools[0].encapsulation).toBe('IPIP');
    expect((await calicoFor('inventory/examples/debvisor.yaml')).model.pools[0].encapsulation).toBe('IPIPCrossSubnet');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../inventory/index.js';
import { controlPlaneEndpoint } from './control-plane-endpoint.js';

/** Inventory text only: nothing here sends packets. */
async function inventory(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-cpe-'));
  writeFileSync(join(dir, 'inventory.yaml'), yaml);
  return loadInventory([join(dir, 'inventory.yaml')]);
}

const NODES = `
    control_plane:
      hosts:
        master1: { ansible_host: 10.10.0.131 }
        master2: { ansible_host: 10.10.0.132 }
    workers:
      hosts:
        worker1: { ansible_host: 10.10.0.141 }`;

describe('control plane endpoint', () => {
  it('seed 003: the keepalived VIP of the gateways, at their haproxy API port', async () => {
    const inv = await inventory(`all:
  children:
    gateways:
      vars:
        keepalived: { vip: 192.168.68.200/24 }
        haproxy: { api: { port: 6443 } }
      hosts:
        gateway1: { ansible_host: 192.168.68.56 }
        gateway2: { ansible_host: 192.168.68.57 }${NODES}
`);
    const ep = controlPlaneEndpoint(inv.hosts.get('worker1')!, inv);
    expect(ep).toMatchObject({ host: '192.168.68.200', port: 6443, endpoint: '192.168.68.200:6443' });
    expect(ep.source).toBe('keepalived.vip of gateway1, gateway2 (haproxy API frontend port 6443)');
  });

  it('a VIP on the control planes with haproxy beside kube-apiserver on another port', async () => {
    const inv = await inventory(`all:
  children:
    control_plane:
      vars:
        keepalived: { vip: 10.0.0.10 }
        haproxy: { api: { port: 8443, bind: 10.0.0.10 } }
      hosts:
        cp1: { ansible_host: 10.0.0.11 }
        cp2: { ansible_host: 10.0.0.12 }
`);
    expect(controlPlaneEndpoint(inv.hosts.get('cp2')!, inv).endpoint).toBe('10.0.0.10:8443');
  });

  it('seed 001: a lone haproxy host without a VIP', async () => {
    const inv = await inventory(`all:
  children:
    lb:
      hosts:
        allyrion: { ansible_host: 10.4.0.10, haproxy: {} }${NODES}
`);
    expect(controlPlaneEndpoint(inv.hosts.get('master2')!, inv)).toMatchObject({ endpoint: '10.4.0.10:6443', source: 'haproxy API frontend on allyrion' });
  });

  it('no VIP and no load balancer: the first control plane at 6443', async () => {
    const inv = await inventory(`all:
  children:${NODES}
`);
    const ep = controlPlaneEndpoint(inv.hosts.get('worker1')!, inv);
    expect(ep).toMatchObject({ endpoint: '10.10.0.131:6443' });
    expect(ep.source).toContain('first control plane master1');
  });

  it('cluster.control_plane_endpoint wins over everything', async () => {
    const inv = await inventory(`all:
  vars:
    cluster: { control_plane_endpoint: k8s-api.lab.example:6443 }
    keepalived: { vip: 10.10.0.200 }
  children:${NODES}
`);
    expect(controlPlaneEndpoint(inv.hosts.get('worker1')!, inv)).toMatchObject({ host: 'k8s-api.lab.example', port: 6443, source: 'cluster.control_plane_endpoint' });
  });

  it('several VIPs and none of them this host\'s: asks for cluster.control_plane_endpoint', async () => {
    const inv = await inventory(`all:
  children:
    dns:
      vars: { keepalived: { vip: 10.10.0.53 } }
      hosts: { ns1: {}, ns2: {} }
    gateways:
      vars: { keepalived: { vip: 10.10.0.200 } }
      hosts: { gw1: {}, gw2: {} }${NODES}
`);
    expect(() => controlPlaneEndpoint(inv.hosts.get('worker1')!, inv)).toThrow(/several keepalived VIPs \(10.10.0.53, 10.10.0.200\).*set cluster.control_plane_endpoint/);
  });
});

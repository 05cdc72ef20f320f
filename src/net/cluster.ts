import { z } from 'zod';
import type { Host } from '../inventory/types.js';
import { parseVars } from '../inventory/vars-check.js';
import { ipv4CidrSchema } from './lan.js';

/**
 * The Kubernetes cluster a host belongs to, written once in the inventory
 * (group_vars/all or the cluster's group) so that kubeadm-init, calico,
 * metallb, firewall and haproxy/keepalived derive from the same values:
 *
 *   cluster:
 *     kubernetes_version: 1.32.2
 *     pod_subnet: 192.168.0.0/16
 *     service_subnet: 10.96.0.0/12
 *     control_plane_endpoint: 10.0.0.10:6443   # default: keepalived.vip, else the first control plane
 *     control_plane_group: control_plane
 *     worker_group: workers
 *     cni: calico
 */
export const clusterSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a DNS label such as "home"').default('kubernetes').describe('cluster name (kubeadm clusterName)'),
  kubernetes_version: z
    .string()
    .regex(/^(v?1\.\d+\.\d+|stable-1\.\d+)$/, 'a pinned version such as 1.32.2, or stable-1.MINOR (resolved from kubeadm-init\'s pinned table; a bare stable/latest needs the internet)')
    .transform((v) => v.replace(/^v/, ''))
    .default('1.32.2')
    .describe('Kubernetes version: pinned (1.32.2) or stable-1.MINOR, resolved by kubeadm-init from its pinned table; its minor selects the apt repository and the kubeadm config API'),
  pod_subnet: ipv4CidrSchema.default('192.168.0.0/16').describe('pod network (kubeadm podSubnet, the CNI pool, firewall pod accept)'),
  service_subnet: ipv4CidrSchema.default('10.96.0.0/12').describe('service network (kubeadm serviceSubnet)'),
  control_plane_endpoint: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port such as 10.0.0.10:6443')
    .optional()
    .describe('API endpoint every node uses: the VIP or load balancer. Default: keepalived.vip:6443, else the first control plane'),
  control_plane_group: z.string().default('control_plane').describe('inventory group of the control plane nodes'),
  worker_group: z.string().default('workers').describe('inventory group of the worker nodes'),
  cni: z.enum(['calico', 'flannel', 'cilium', 'none']).default('calico').describe('the CNI (decides firewall ports and pod network checks)'),
});

export type Cluster = z.output<typeof clusterSchema>;

/** The host's `cluster` var with defaults; a malformed one is a ParseError naming the host and key. */
export function clusterOf(host: Host): Cluster {
  return parseVars(clusterSchema, host.vars.cluster ?? {}, host, 'cluster');
}

/** "1.32.2" → 32, "stable-1.32" → 32 */
export function kubernetesMinor(cluster: Cluster): number {
  return Number(cluster.kubernetes_version.replace(/^stable-/, '').split('.')[1]);
}

/** The port of `cluster.control_plane_endpoint`, when it is set ("10.0.0.10:6443" → 6443). */
export function endpointPort(cluster: Cluster): number | undefined {
  return cluster.control_plane_endpoint ? Number(cluster.control_plane_endpoint.split(':').pop()) : undefined;
}

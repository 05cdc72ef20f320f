import type { K8sObject } from '../../src/ops/kubectl.js';
import { poolModes, type NodeAddressAutodetection, type Pool } from './model.js';

/**
 * Manifest mode (calico.yaml, no operator): calico-node creates the first
 * pool from its CALICO_IPV4POOL_* variables the first time it starts, so
 * they must be in the DaemonSet from the very first apply. The vendor
 * manifest stays untouched; a kustomization next to it patches the env of
 * the calico-node container (strategic merge: entries merge by name), and
 * `kubectl apply --server-side -k DIR` applies the result.
 */

export const PATCH_FILE = 'calico-node-ipv4pool.yaml';

export interface EnvVar {
  name: string;
  value: string;
}

/** apps/v1 DaemonSet, only the part the patch sets. */
export interface CalicoNodePatch extends K8sObject {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  spec: { template: { spec: { containers: { name: 'calico-node'; env: EnvVar[] }[] } } };
}

export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  resources: string[];
  patches: { path: string }[];
}

/** calico-node's variables for the pool it creates at first start. */
export function poolEnv(pool: Pool): EnvVar[] {
  const modes = poolModes(pool.encapsulation);
  return [
    { name: 'CALICO_IPV4POOL_CIDR', value: pool.cidr },
    { name: 'CALICO_IPV4POOL_IPIP', value: modes.ipip },
    { name: 'CALICO_IPV4POOL_VXLAN', value: modes.vxlan },
    { name: 'CALICO_IPV4POOL_BLOCK_SIZE', value: String(pool.block_size) },
    { name: 'CALICO_IPV4POOL_NAT_OUTGOING', value: String(pool.nat_outgoing) },
    { name: 'CALICO_IPV4POOL_NODE_SELECTOR', value: pool.node_selector },
  ];
}

/** calico-node's IP_AUTODETECTION_METHOD for the operator's nodeAddressAutodetectionV4 (Calico "Configure IP autodetection"). */
export function autodetectionEnv(a: NodeAddressAutodetection): EnvVar {
  return { name: 'IP_AUTODETECTION_METHOD', value: 'cidrs' in a ? `cidr=${a.cidrs.join(',')}` : 'kubernetes-internal-ip' };
}

export function calicoNodePatch(pool: Pool, autodetection: NodeAddressAutodetection): CalicoNodePatch {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'calico-node', namespace: 'kube-system' },
    spec: { template: { spec: { containers: [{ name: 'calico-node', env: [...poolEnv(pool), autodetectionEnv(autodetection)] }] } } },
  };
}

export function kustomization(manifestFile: string): Kustomization {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [manifestFile],
    patches: [{ path: PATCH_FILE }],
  };
}

import { numberToV4, parseCidr, v4Bounds } from '../../src/net/address.js';
import type { Cluster } from '../../src/net/cluster.js';
import type { Claim } from '../../src/plan/claims.js';
import type { KubeadmInitVars } from './vars.js';

/** kubeadm's default clusterDNS: the 10th address of the service subnet (where it puts the kube-dns Service). */
export function defaultClusterDns(serviceSubnet: string): string {
  return numberToV4(v4Bounds(parseCidr(serviceSubnet)).first + 10);
}

/** The kubelet's clusterDNS addresses: `kubelet_config.clusterDNS`, else kubeadm's default. */
export function clusterDns(vars: Pick<KubeadmInitVars, 'kubelet_config'>, cluster: Cluster): string[] {
  return vars.kubelet_config.clusterDNS ?? [defaultClusterDns(cluster.service_subnet)];
}

/**
 * For the plan check: every clusterDNS address must lie inside the service
 * subnet (the cluster DNS is a Service there; an address outside it answers
 * no pod's query).
 */
export function kubeadmClaims(vars: KubeadmInitVars, cluster: Cluster): Claim[] {
  return clusterDns(vars, cluster).map((ip) => ({
    kind: 'within',
    by: 'kubeadm-init',
    cidr: `${ip}/32`,
    what: 'kubelet clusterDNS',
    outer: cluster.service_subnet,
    outerWhat: 'cluster.service_subnet',
  }));
}

import type { PlayDef } from '../engine/definitions.js';
import { playHosts, type VarsByPlay } from '../engine/runner.js';
import type { Host, Inventory } from '../inventory/types.js';
import { clusterOf } from '../net/cluster.js';
import { apiServerPort, isControlPlane } from '../net/control-plane-endpoint.js';
import { contains } from '../net/address.js';
import { hostAddresses, lanOf, macOf } from '../net/lan.js';
import type { Claim } from './claims.js';
import { nodeAddresses } from './node-addresses.js';

/** Claims every inventory makes by itself: host addresses and MACs, the `lan` and `cluster` vars. */
function inventoryClaims(host: Host): Claim[] {
  const claims: Claim[] = [];
  const mac = macOf(host);
  for (const ip of nodeAddresses(host)) {
    claims.push({ kind: 'address', by: `inventory: ${host.name}`, ip, purpose: 'node', what: `${host.name}`, host: host.name, ...(mac ? { mac } : {}) });
  }
  const lan = lanOf(host);
  if (lan.subnet) {
    claims.push({ kind: 'network', by: 'inventory: lan', cidr: lan.subnet, purpose: 'lan', what: `LAN${lan.domain ? ` ${lan.domain}` : ''}` });
    if (lan.gateway) claims.push({ kind: 'address', by: 'inventory: lan.gateway', ip: lan.gateway, purpose: 'gateway', what: 'LAN gateway', subnet: lan.subnet });
    if (nodeAddresses(host).some((ip) => contains(lan.subnet!, ip))) claims.push({ kind: 'segment', by: `inventory: ${host.name}`, host: host.name, cidr: lan.subnet });
  }
  for (const range of lan.external_dhcp ?? []) {
    claims.push({ kind: 'range', by: 'inventory: lan.external_dhcp', range, purpose: 'dhcp', what: 'DHCP range of a server labwright does not manage', ...(lan.subnet ? { subnet: lan.subnet } : {}) });
  }
  if (host.vars.cluster !== undefined) {
    const cluster = clusterOf(host);
    claims.push({ kind: 'network', by: `inventory: cluster ${cluster.name}`, cidr: cluster.pod_subnet, purpose: 'pod', what: `pod network (${cluster.name})` });
    claims.push({ kind: 'network', by: `inventory: cluster ${cluster.name}`, cidr: cluster.service_subnet, purpose: 'service', what: `service network (${cluster.name})` });
    if (cluster.control_plane_endpoint) claims.push({ kind: 'endpoint', by: 'inventory: cluster.control_plane_endpoint', endpoint: cluster.control_plane_endpoint });
  }
  if (isControlPlane(host)) {
    // kubeadm leaves kube-apiserver's bind address at its default, every address
    claims.push({ kind: 'listen', by: 'inventory: control plane', host: host.name, port: apiServerPort(host), at: [...new Set(hostAddresses(host))], what: `kube-apiserver on ${host.name}`, api: 'server' });
  }
  return claims;
}

/** Every claim of the run: the inventory's, and each role's on each host it runs on. */
export function collectClaims(plays: readonly PlayDef[], inventory: Inventory, vars: VarsByPlay, limit?: ReadonlySet<string>): Claim[] {
  const claims: Claim[] = [];
  for (const host of inventory.hosts.values()) claims.push(...inventoryClaims(host));
  for (const play of plays) {
    for (const host of playHosts(play, inventory, limit)) {
      for (const use of play.roles) {
        const plan = use.role.addressPlan;
        if (plan) claims.push(...plan({ host, inventory, vars: vars.get(play)!.get(host.name)!.get(use) }));
      }
    }
  }
  return dedupe(claims);
}

function dedupe(claims: Claim[]): Claim[] {
  const seen = new Set<string>();
  return claims.filter((c) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

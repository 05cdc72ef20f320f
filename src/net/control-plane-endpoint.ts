import { ParseError } from '../errors.js';
import type { Host, Inventory } from '../inventory/types.js';
import { clusterOf, endpointPort } from './cluster.js';
import { groupMembers, hostAddress, parseIpv4WithPrefix } from './host-address.js';

/** The kube-apiserver's own port (kubeadm's default bindPort). */
export const API_SERVER_PORT = 6443;

/**
 * haproxy's API port on a load balancer that is also a control plane:
 * kube-apiserver already listens on 6443 there (on every address), so the
 * front end takes another port, 8443 as in the kubeadm HA guide
 * (kubeadm/docs/ha-considerations.md, "haproxy configuration").
 */
export const COLOCATED_API_PORT = 8443;

/** The inventory group playbooks/site.ts runs haproxy on. */
export const LOAD_BALANCER_GROUP = 'load_balancers';

export interface ControlPlaneEndpoint {
  /** Address or DNS name. */
  host: string;
  port: number;
  /** `host:port`, as kubeadm's controlPlaneEndpoint and join commands write it. */
  endpoint: string;
  /** Where it came from, for plans and messages: "cluster.control_plane_endpoint", "keepalived.vip of gw1, gw2", … */
  source: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** kube-apiserver's port on a control plane: `kubeadm_init.bind_port`, else 6443. */
export function apiServerPort(host: Host): number {
  const kubeadm = host.vars.kubeadm_init;
  return isObject(kubeadm) && typeof kubeadm.bind_port === 'number' ? kubeadm.bind_port : API_SERVER_PORT;
}

/** The host is in the cluster's control plane group (kube-apiserver runs on it). */
export function isControlPlane(host: Host): boolean {
  return host.groups.includes(clusterOf(host).control_plane_group);
}

/**
 * The default port of haproxy's API front end on a host: the port of
 * `cluster.control_plane_endpoint`, else 6443 — except on a control plane,
 * where kube-apiserver holds its own port: there 8443 (or the endpoint's port
 * when that is another one).
 */
export function defaultHaproxyApiPort(host: Host): number {
  const wanted = endpointPort(clusterOf(host));
  if (!isControlPlane(host)) return wanted ?? API_SERVER_PORT;
  return wanted !== undefined && wanted !== apiServerPort(host) ? wanted : COLOCATED_API_PORT;
}

/**
 * haproxy's API front end on a host, when the host runs haproxy (it has
 * `haproxy` vars or is in the load balancer group) and the front end is on:
 * its bind address (undefined = every address) and port (set, else the default).
 */
export function haproxyApiFrontend(host: Host): { bind?: string; port: number } | undefined {
  const haproxy = host.vars.haproxy;
  if (!isObject(haproxy) && !host.groups.includes(LOAD_BALANCER_GROUP)) return undefined;
  const api = isObject(haproxy) && isObject(haproxy.api) ? haproxy.api : {};
  if (api.enabled === false) return undefined;
  return {
    bind: typeof api.bind === 'string' ? api.bind : undefined,
    port: typeof api.port === 'number' ? api.port : defaultHaproxyApiPort(host),
  };
}

/** The address of a host's `keepalived.vip` (without a prefix), if it sets one. */
export function keepalivedVip(host: Host): string | undefined {
  const keepalived = host.vars.keepalived;
  if (!isObject(keepalived) || typeof keepalived.vip !== 'string') return undefined;
  return parseIpv4WithPrefix(keepalived.vip)?.address;
}

function at(host: string, port: number, source: string): ControlPlaneEndpoint {
  return { host, port, endpoint: `${host}:${port}`, source };
}

/**
 * The address every node of the cluster reaches the API at (kubeadm's
 * `controlPlaneEndpoint`), derived from the inventory so it is written once:
 *
 * 1. `cluster.control_plane_endpoint` when set;
 * 2. else a keepalived VIP (`keepalived.vip`): the host's own, else the one
 *    VIP the inventory sets (several different VIPs and none on this host:
 *    an error asking for `cluster.control_plane_endpoint`), at the port of the
 *    haproxy API frontend on the VIP's hosts (`haproxy.api.port`, default
 *    8443 on a control plane: see defaultHaproxyApiPort), else 6443;
 * 3. else the first host running haproxy (`haproxy` vars or the
 *    load_balancers group) whose API frontend is on, at `haproxy.api.bind` or
 *    its inventory address, at the frontend's port;
 * 4. else the first host of `cluster.control_plane_group`, port 6443 (no
 *    load balancer: the cluster depends on that one host for its API).
 */
export function controlPlaneEndpoint(host: Host, inventory: Inventory): ControlPlaneEndpoint {
  const cluster = clusterOf(host);
  if (cluster.control_plane_endpoint) {
    const i = cluster.control_plane_endpoint.lastIndexOf(':');
    return at(cluster.control_plane_endpoint.slice(0, i), Number(cluster.control_plane_endpoint.slice(i + 1)), 'cluster.control_plane_endpoint');
  }

  const hosts = [...inventory.hosts.values()];
  const vipHolders = new Map<string, Host[]>();
  for (const h of hosts) {
    const vip = keepalivedVip(h);
    if (vip) vipHolders.set(vip, [...(vipHolders.get(vip) ?? []), h]);
  }
  const own = keepalivedVip(host);
  if (!own && vipHolders.size > 1) {
    throw new ParseError(
      `host ${host.name}: the inventory sets several keepalived VIPs (${[...vipHolders.keys()].join(', ')}) and none is this host's: ` +
        'set cluster.control_plane_endpoint to the one the Kubernetes API is reached at',
    );
  }
  const vip = own ?? [...vipHolders.keys()][0];
  if (vip) {
    const holders = vipHolders.get(vip) ?? [host];
    const lb = holders.map(haproxyApiFrontend).find((api) => api !== undefined);
    const names = holders.map((h) => h.name).join(', ');
    return at(vip, lb?.port ?? API_SERVER_PORT, `keepalived.vip of ${names}${lb ? ` (haproxy API frontend port ${lb.port})` : ''}`);
  }

  for (const h of hosts) {
    const api = haproxyApiFrontend(h);
    if (api) return at(api.bind ?? hostAddress(h), api.port, `haproxy API frontend on ${h.name}`);
  }

  const first = groupMembers(inventory, cluster.control_plane_group)[0];
  if (!first) {
    throw new ParseError(
      `host ${host.name}: no Kubernetes API endpoint: cluster.control_plane_endpoint is unset, no host sets keepalived.vip or haproxy vars, ` +
        `and the group "${cluster.control_plane_group}" (cluster.control_plane_group) has no host`,
    );
  }
  return at(first.address, API_SERVER_PORT, `first control plane ${first.name} (no VIP or load balancer in the inventory)`);
}

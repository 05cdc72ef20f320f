import { isIp, parseIp } from '../../src/net/address.js';
import { apiServerPort, COLOCATED_API_PORT, isControlPlane, keepalivedVip } from '../../src/net/control-plane-endpoint.js';
import { groupMembers, hostAddress, isIpv4 } from '../../src/net/host-address.js';
import { hostAddresses } from '../../src/net/lan.js';
import type { Host } from '../../src/inventory/types.js';
import type { Claim } from '../../src/plan/claims.js';
import type { Inventory } from '../../src/inventory/types.js';
import type { HaproxyBuild } from './facts.js';
import type { HaproxyVars } from './vars.js';

/** Everything the template needs, fully resolved (every key present: the template is strict). */
export interface HaproxyModel {
  timeouts: HaproxyVars['timeouts'];
  api: { bind: string; healthCheck: 'tcp' | 'readyz'; servers: string[] } | null;
  ingress: { https: Frontend; http: Frontend | null; inspectDelay: string } | null;
  stats: { bind: string; prometheus: boolean; page: boolean } | null;
  extra: string | null;
}

interface Frontend {
  bind: string;
  servers: string[];
}

export class HaproxyConfigError extends Error {}

/** "addr:port", or ":port" (every IPv4 address) when no address is set. */
function bindSpec(address: string | undefined, port: number): string {
  return `${address ?? ''}:${port}`;
}

/** "addr:port"; IPv6 addresses in brackets. */
function endpoint(address: string, port: number): string {
  return isIp(address) && parseIp(address).kind() === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The bind addresses set anywhere (the VIP case: they need ip_nonlocal_bind on the host that does not hold it). */
export function bindAddresses(vars: HaproxyVars): string[] {
  return [vars.api.enabled && vars.api.bind, vars.ingress.enabled && vars.ingress.bind, vars.metrics.enabled && vars.metrics.bind].filter(
    (a): a is string => typeof a === 'string',
  );
}

export function wantsNonlocalBind(vars: HaproxyVars, host: Host): boolean {
  const own = new Set(hostAddresses(host));
  return vars.nonlocal_bind ?? bindAddresses(vars).some((a) => !own.has(a));
}

/**
 * Whether the Prometheus exporter is served: `true`/`false` as configured
 * (true on a build without it is an error), `auto` from the build fact.
 * `build` undefined = haproxy not installed yet: `assumed` says so.
 */
export function prometheusEnabled(
  vars: HaproxyVars,
  build: HaproxyBuild | undefined,
): { enabled: boolean; assumption?: string } {
  const want = vars.metrics.prometheus;
  if (build === undefined) {
    if (want === 'auto') return { enabled: false, assumption: 'haproxy is not installed yet, so whether its build has the Prometheus exporter is unknown: shown without it' };
    return { enabled: want };
  }
  if (want === true && !build.prometheus) {
    throw new HaproxyConfigError(
      `haproxy.metrics.prometheus is true but haproxy ${build.version} on this host was built without the Prometheus exporter ("haproxy -vv"); set it to auto or false`,
    );
  }
  return { enabled: want === 'auto' ? build.prometheus : want };
}

/** The model from the role's vars, the inventory (backends from group membership) and the build fact. */
export function haproxyModel(vars: HaproxyVars, inventory: Inventory, build: HaproxyBuild | undefined): { model: HaproxyModel; assumption?: string } {
  const check = `check inter ${vars.check.inter} fall ${vars.check.fall} rise ${vars.check.rise}`;
  const checkSsl = vars.api.health_check === 'readyz' ? ' check-ssl verify none' : '';

  let api: HaproxyModel['api'] = null;
  if (vars.api.enabled) {
    const servers: { name: string; address: string; port?: number }[] = vars.api.servers ?? groupMembers(inventory, vars.api.group);
    if (servers.length === 0) {
      throw new HaproxyConfigError(
        `haproxy.api has no backends: inventory group "${vars.api.group}" is ${inventory.groups.has(vars.api.group) ? 'empty' : 'missing'}; ` +
          'set haproxy.api.group or haproxy.api.servers, or haproxy.api.enabled: false',
      );
    }
    api = {
      bind: bindSpec(vars.api.bind, vars.api.port),
      healthCheck: vars.api.health_check,
      servers: servers.map((s) => `server ${s.name} ${endpoint(s.address, s.port ?? vars.api.backend_port)} ${check}${checkSsl}`),
    };
  }

  let ingress: HaproxyModel['ingress'] = null;
  if (vars.ingress.enabled) {
    const servers = vars.ingress.servers ?? groupMembers(inventory, vars.ingress.group);
    if (servers.length === 0) {
      throw new HaproxyConfigError(
        `haproxy.ingress has no backends: inventory group "${vars.ingress.group}" is ${inventory.groups.has(vars.ingress.group) ? 'empty' : 'missing'}; ` +
          'set haproxy.ingress.group or haproxy.ingress.servers',
      );
    }
    const lines = (nodePort: number) => servers.map((s) => `server ${s.name} ${endpoint(s.address, nodePort)} ${check}`);
    ingress = {
      inspectDelay: vars.ingress.inspect_delay,
      https: { bind: bindSpec(vars.ingress.bind, vars.ingress.https_port), servers: lines(vars.ingress.https_node_port) },
      http:
        vars.ingress.http_port === null
          ? null
          : { bind: bindSpec(vars.ingress.bind, vars.ingress.http_port), servers: lines(vars.ingress.http_node_port) },
    };
  }

  let stats: HaproxyModel['stats'] = null;
  let assumption: string | undefined;
  if (vars.metrics.enabled) {
    const prom = prometheusEnabled(vars, build);
    assumption = prom.assumption;
    const page = vars.metrics.stats_page ?? !prom.enabled;
    if (prom.enabled || page) stats = { bind: bindSpec(vars.metrics.bind, vars.metrics.port), prometheus: prom.enabled, page };
  }

  const ports = [
    api && ['api', vars.api.port, vars.api.bind],
    ingress && ['ingress https', vars.ingress.https_port, vars.ingress.bind],
    ingress?.http && ['ingress http', vars.ingress.http_port, vars.ingress.bind],
    stats && ['metrics', vars.metrics.port, vars.metrics.bind],
  ].filter((p): p is [string, number, string | undefined] => Array.isArray(p));
  for (const [i, [a, port, addrA]] of ports.entries()) {
    for (const [b, other, addrB] of ports.slice(i + 1)) {
      if (port === other && (addrA === undefined || addrB === undefined || addrA === addrB)) {
        throw new HaproxyConfigError(`haproxy: ${a} and ${b} both listen on port ${port}`);
      }
    }
  }

  return {
    model: { timeouts: vars.timeouts, api, ingress, stats, extra: vars.extra_config?.replace(/\s+$/, '') || null },
    assumption,
  };
}

/**
 * For the plan check: the API front end as a load balancer address (so a
 * `cluster.control_plane_endpoint` pointing at this host is accepted; a bind
 * address other than the host's own is a VIP: keepalived claims that one),
 * and as a listener on its port, reached at its bind address or at every
 * address of the host and its keepalived VIP (so kube-apiserver on the same
 * port of a control plane, or an endpoint at another port, is refused).
 */
export function haproxyClaims(vars: HaproxyVars, host: Host): Claim[] {
  if (!vars.api.enabled) return [];
  const by = `haproxy on ${host.name}`;
  const claims: Claim[] = [];
  const own = hostAddress(host);
  if (isIpv4(own) && (vars.api.bind === undefined || vars.api.bind === own)) {
    claims.push({ kind: 'address', by, ip: own, purpose: 'loadbalancer', what: by, host: host.name, port: vars.api.port });
  }
  const vip = keepalivedVip(host);
  const at = vars.api.bind !== undefined ? [vars.api.bind] : [...new Set([...hostAddresses(host), ...(vip ? [vip] : [])])];
  const note = isControlPlane(host)
    ? `on a control plane kube-apiserver holds port ${apiServerPort(host)}, so haproxy's API front end there takes another port (${COLOCATED_API_PORT} by default, as the kubeadm HA guide does)`
    : undefined;
  claims.push({ kind: 'listen', by, host: host.name, port: vars.api.port, bind: vars.api.bind, at, what: `haproxy API front end on ${host.name}`, api: 'frontend', ...(note ? { note } : {}) });
  return claims;
}

import { cidrsOverlap, contains, isIp, parseCidr, parseIp, parseV4Range, rangesOverlap, v4Bounds, v4ToNumber } from '../net/address.js';
import type { Claim } from './claims.js';
import { dhcpAuthorityConflicts, dhcpServerConflicts } from './dhcp.js';
import { l2PoolsOffSegment, routeGatewaysOffSegment } from './segments.js';

type Of<K extends Claim['kind']> = Extract<Claim, { kind: K }>;

const ofKind = <K extends Claim['kind']>(claims: readonly Claim[], kind: K) => claims.filter((c): c is Of<K> => c.kind === kind);

const isV4 = (ip: string) => isIp(ip) && parseIp(ip).kind() === 'ipv4';

function inRange(ip: string, range: string): boolean {
  if (!isV4(ip)) return false;
  const r = parseV4Range(range);
  const n = v4ToNumber(ip);
  return n >= r.first && n <= r.last;
}

/** Networks that may not share addresses: every pair of distinct networks that overlap. */
function overlappingNetworks(claims: readonly Claim[]): string[] {
  const nets = ofKind(claims, 'network');
  const unique = [...new Map(nets.map((n) => [`${n.cidr} ${n.purpose}`, n])).values()];
  const out: string[] = [];
  for (let i = 0; i < unique.length; i++) {
    for (let j = i + 1; j < unique.length; j++) {
      const [a, b] = [unique[i], unique[j]];
      if (a.cidr === b.cidr && a.purpose === b.purpose) continue;
      if (cidrsOverlap(a.cidr, b.cidr)) out.push(`${a.what} ${a.cidr} (${a.by}) overlaps ${b.what} ${b.cidr} (${b.by})`);
    }
  }
  return out;
}

function outsideOuter(claims: readonly Claim[]): string[] {
  return ofKind(claims, 'within')
    .filter((w) => {
      const inner = parseCidr(w.cidr);
      const outer = parseCidr(w.outer);
      return !(contains(outer, inner.address) && inner.prefix >= outer.prefix);
    })
    .map((w) => `${w.what} ${w.cidr} (${w.by}) is not inside ${w.outerWhat} ${w.outer}`);
}

/** VIPs, reservations and static node addresses inside a dynamic DHCP range would be handed out twice. */
function addressesInDhcpRanges(claims: readonly Claim[]): string[] {
  const ranges = ofKind(claims, 'range').filter((r) => r.purpose === 'dhcp');
  const out: string[] = [];
  for (const a of ofKind(claims, 'address')) {
    if (a.purpose === 'gateway' || a.purpose === 'loadbalancer') continue;
    for (const r of ranges) {
      if (inRange(a.ip, r.range)) out.push(`${a.purpose} ${a.ip} of ${a.what} (${a.by}) is inside the dynamic DHCP range ${r.range} (${r.by})`);
    }
  }
  return out;
}

/** A load balancer pool must own its addresses: no DHCP range, node, VIP or reservation inside it. */
function poolConflicts(claims: readonly Claim[]): string[] {
  const pools = ofKind(claims, 'range').filter((r) => r.purpose === 'loadbalancer');
  const out: string[] = [];
  for (const p of pools) {
    const pr = parseV4Range(p.range);
    for (const r of ofKind(claims, 'range')) {
      if (r !== p && r.purpose === 'dhcp' && rangesOverlap(pr, parseV4Range(r.range))) out.push(`load balancer pool ${p.range} (${p.by}) overlaps the DHCP range ${r.range} (${r.by})`);
    }
    for (const r of pools) {
      if (r !== p && r.range !== p.range && rangesOverlap(pr, parseV4Range(r.range)) && p.range < r.range) out.push(`load balancer pools ${p.range} (${p.by}) and ${r.range} (${r.by}) overlap`);
    }
    for (const a of ofKind(claims, 'address')) {
      if (inRange(a.ip, p.range)) out.push(`load balancer pool ${p.range} (${p.by}) contains ${a.purpose} ${a.ip} of ${a.what} (${a.by})`);
    }
    for (const n of ofKind(claims, 'network')) {
      if (n.purpose === 'pod' || n.purpose === 'service') {
        const { first, last } = v4Bounds(n.cidr);
        if (rangesOverlap(pr, { first, last })) out.push(`load balancer pool ${p.range} (${p.by}) overlaps the ${n.what} ${n.cidr}`);
      }
    }
  }
  return out;
}

/** One address, one owner; one MAC, one host. */
function duplicates(claims: readonly Claim[]): string[] {
  const out: string[] = [];
  const byIp = new Map<string, Of<'address'>[]>();
  for (const a of ofKind(claims, 'address')) {
    if (!isIp(a.ip)) continue;
    const key = parseIp(a.ip).toString();
    byIp.set(key, [...(byIp.get(key) ?? []), a]);
  }
  for (const [ip, owners] of byIp) {
    // the same host's node address and its reservation, or one VIP claimed by each of its peers, are one owner
    const distinct = new Map(owners.map((o) => [o.host ?? `${o.purpose}:${o.what}`, o]));
    if (distinct.size > 1) out.push(`${ip} is claimed ${distinct.size} times: ${[...distinct.values()].map((o) => `${o.purpose} of ${o.what} (${o.by})`).join(', ')}`);
  }
  const byMac = new Map<string, Set<string>>();
  for (const a of ofKind(claims, 'address')) if (a.mac) byMac.set(a.mac, new Set([...(byMac.get(a.mac) ?? []), a.host ?? a.what]));
  for (const [mac, hosts] of byMac) if (hosts.size > 1) out.push(`MAC ${mac} is used by ${[...hosts].join(' and ')}`);
  return out;
}

function gatewaysOutsideSubnet(claims: readonly Claim[]): string[] {
  return ofKind(claims, 'address')
    .filter((a) => a.subnet && isV4(a.ip) && !contains(a.subnet, a.ip))
    .map((a) => `${a.what} ${a.ip} (${a.by}) is outside its subnet ${a.subnet}`);
}

/**
 * controlPlaneEndpoint must be the VIP or the load balancer, when there is
 * one, and its port one the API is served on at that address: the API front
 * end's (haproxy) when one listens there, else kube-apiserver's.
 */
function endpointMismatch(claims: readonly Claim[]): string[] {
  const endpoints = [...new Map(ofKind(claims, 'endpoint').map((e) => [e.endpoint, e])).values()];
  const out: string[] = [];
  const fronts = ofKind(claims, 'address').filter((a) => a.purpose === 'vip' || a.purpose === 'loadbalancer');
  if (fronts.length > 0) {
    const accepted = new Set(fronts.flatMap((f) => [f.ip, ...(f.port ? [`${f.ip}:${f.port}`] : [])]));
    for (const e of endpoints) {
      const host = e.endpoint.replace(/:\d+$/, '');
      if (!accepted.has(e.endpoint) && !accepted.has(host)) {
        out.push(`control plane endpoint ${e.endpoint} (${e.by}) is neither a VIP nor a load balancer of the plan (${[...new Set(fronts.map((f) => f.ip))].join(', ')})`);
      }
    }
  }
  const listeners = ofKind(claims, 'listen').filter((l) => l.api);
  for (const e of endpoints) {
    const i = e.endpoint.lastIndexOf(':');
    const [host, port] = [e.endpoint.slice(0, i), Number(e.endpoint.slice(i + 1))];
    const there = listeners.filter((l) => l.at.includes(host));
    const serving = there.some((l) => l.api === 'frontend') ? there.filter((l) => l.api === 'frontend') : there;
    if (serving.length === 0 || serving.some((l) => l.port === port)) continue;
    const ports = [...new Set(serving.map((l) => l.port))];
    const notes = [...new Set(serving.flatMap((l) => (l.note ? [l.note] : [])))];
    out.push(
      `control plane endpoint ${e.endpoint} (${e.by}): at ${host} the Kubernetes API is served on port ${ports.join(', ')} ` +
        `(${serving.map((l) => l.what).join(', ')}), not ${port}${notes.length ? `; ${notes.join('; ')}` : ''}: ` +
        `set cluster.control_plane_endpoint to ${host}:${ports[0]}`,
    );
  }
  return out;
}

/** Two listeners on one host and port (on the same address, or one on every address): the second cannot start. */
function listenConflicts(claims: readonly Claim[]): string[] {
  const all = ofKind(claims, 'listen');
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i], all[j]];
      if (a.host !== b.host || a.port !== b.port || a.what === b.what) continue;
      if (a.bind !== undefined && b.bind !== undefined && a.bind !== b.bind) continue;
      const note = [a.note, b.note].filter(Boolean).join('; ');
      out.push(`${a.what} (${a.by}) and ${b.what} (${b.by}) both listen on port ${a.port} of ${a.host}: one of them cannot start${note ? `; ${note}` : ''}`);
    }
  }
  return out;
}

function mtuMismatch(claims: readonly Claim[]): string[] {
  const byNet = new Map<string, Of<'mtu'>[]>();
  for (const m of ofKind(claims, 'mtu')) byNet.set(m.network, [...(byNet.get(m.network) ?? []), m]);
  return [...byNet]
    .filter(([, ms]) => new Set(ms.map((m) => m.mtu)).size > 1)
    .map(([net, ms]) => `MTU differs across ${net}: ${ms.map((m) => `${m.host} ${m.mtu}`).join(', ')}`);
}

/** One virtual_router_id per L2 segment: two VIPs with the same id fight each other. */
function vrrpCollisions(claims: readonly Claim[]): string[] {
  const seen = new Map<string, Of<'vrrp'>>();
  const out: string[] = [];
  for (const v of ofKind(claims, 'vrrp')) {
    const key = `${v.segment}#${v.routerId}`;
    const other = seen.get(key);
    if (other && other.vip !== v.vip) out.push(`VRRP router id ${v.routerId} is used twice on ${v.segment}: VIP ${other.vip} (${other.by}) and VIP ${v.vip} (${v.by})`);
    else seen.set(key, v);
  }
  return out;
}

/** What the plan warns about (it still runs), one sentence each, without repeats. */
export function planWarnings(claims: readonly Claim[]): string[] {
  return [...new Set(ofKind(claims, 'warning').map((w) => `${w.text} (${w.by})`))];
}

/** Every problem of the address plan, one human sentence each (empty = the plan is sound). */
export function checkPlan(claims: readonly Claim[]): string[] {
  return [
    ...overlappingNetworks(claims),
    ...outsideOuter(claims),
    ...addressesInDhcpRanges(claims),
    ...dhcpAuthorityConflicts(claims),
    ...dhcpServerConflicts(claims),
    ...poolConflicts(claims),
    ...l2PoolsOffSegment(claims),
    ...routeGatewaysOffSegment(claims),
    ...duplicates(claims),
    ...gatewaysOutsideSubnet(claims),
    ...endpointMismatch(claims),
    ...listenConflicts(claims),
    ...mtuMismatch(claims),
    ...vrrpCollisions(claims),
  ];
}

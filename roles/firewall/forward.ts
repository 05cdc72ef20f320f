import { parseIp } from '../../src/net/address.js';
import { addressesByFamily, nftSetExpr, type AddressesByFamily } from '../../src/net/nft.js';
import type { FirewallVars } from './vars.js';
import { ifMatch, protoMatch, rule } from './match.js';

/**
 * Routed traffic: the forward chain (policy drop), masquerade and port
 * forwards (nat chains), rendered from named segments. A segment matches by
 * its interfaces (iifname/oifname) and/or its networks (ip saddr/daddr);
 * a rule is written once per IP family both of its segments can match.
 */

export interface Segment {
  name: string;
  interfaces?: string[];
  networks?: AddressesByFamily;
}

export interface Routing {
  segments: Record<string, Segment>;
  rules: FirewallVars['forward_rules'];
  masquerade: FirewallVars['masquerade'];
  portForwards: FirewallVars['port_forwards'];
  /** Pod networks routed through a Kubernetes node (accepted both ways), empty elsewhere. */
  podCidrs: AddressesByFamily;
  /** Whether any segment or port forward is IPv6 (then IPv6 forwarding is turned on too). */
  ipv6: boolean;
}

export interface Chain {
  name: string;
  hook: string;
  sections: { title: string; rules: string[] }[];
}

type Family = 'ip' | 'ip6';
const FAMILIES: Family[] = ['ip', 'ip6'];
const inFamily = (nets: AddressesByFamily, f: Family) => (f === 'ip' ? nets.v4 : nets.v6);
const familyOf = (address: string): Family => (parseIp(address.trim()).kind() === 'ipv4' ? 'ip' : 'ip6');

/** Routing of a host, or undefined when it does not route (forwarding off). */
export function resolveRouting(vars: FirewallVars, kubeNode: boolean): Routing | undefined {
  const routed = vars.forward_rules.length + vars.masquerade.length + vars.port_forwards.length > 0;
  if (!(vars.forwarding ?? routed)) return undefined;
  const segments = Object.fromEntries(
    Object.entries(vars.segments).map(([name, s]) => [name, { name, interfaces: s.interfaces, networks: s.networks ? addressesByFamily(s.networks) : undefined }]),
  );
  const podCidrs = kubeNode ? addressesByFamily(vars.pod_cidrs) : { v4: [], v6: [] };
  const ipv6 = Object.values(segments).some((s) => (s.networks?.v6.length ?? 0) > 0) || vars.port_forwards.some((f) => familyOf(f.to) === 'ip6');
  return { segments, rules: vars.forward_rules, masquerade: vars.masquerade, portForwards: vars.port_forwards, podCidrs, ipv6 };
}

/** The address matches of a segment as source or destination, per family it can match (undefined family: it has no networks). */
function addressMatches(s: Segment | undefined, dir: 'saddr' | 'daddr'): Map<Family | undefined, string | undefined> {
  if (!s?.networks) return new Map([[undefined, undefined]]);
  return new Map(FAMILIES.filter((f) => inFamily(s.networks!, f).length > 0).map((f) => [f, `${f} ${dir} ${nftSetExpr(inFamily(s.networks!, f))}`]));
}

/**
 * One rule per IP family both segments can match (no networks = any family).
 * `only`: the family the rule is bound to (a port forward's target).
 */
function between(from: Segment | undefined, to: Segment | undefined, where: string, build: (saddr?: string, daddr?: string) => string, only?: Family): string[] {
  const src = addressMatches(from, 'saddr');
  const dst = addressMatches(to, 'daddr');
  const [anySrc, anyDst] = [src.has(undefined), dst.has(undefined)];
  if (anySrc && anyDst) return [build()];
  const lines = (only ? [only] : FAMILIES)
    .filter((f) => (anySrc || src.has(f)) && (anyDst || dst.has(f)))
    .map((f) => build(src.get(f), dst.get(f)));
  if (lines.length === 0) {
    const families = (s: Segment | undefined) => [...addressMatches(s, 'saddr').keys()].map((f) => (f === 'ip' ? 'IPv4' : 'IPv6')).join(' and ');
    const side = (s: Segment | undefined) => (s?.networks ? `segment ${s.name} (${families(s)} networks)` : 'any');
    const other = only ? `the ${only === 'ip' ? 'IPv4' : 'IPv6'} target` : side(to);
    throw new Error(`firewall: ${where}: ${side(from)} and ${other} have no IP family in common: the rule would match nothing`);
  }
  return lines;
}

function portForwardParts(f: FirewallVars['port_forwards'][number]) {
  const family = familyOf(f.to);
  const to = parseIp(f.to.trim()).toString();
  const toPort = f.to_port ?? f.port;
  return { family, to, toPort, target: family === 'ip' ? `${to}:${toPort}` : `[${to}]:${toPort}` };
}

/** forward (filter), prerouting (DNAT) and postrouting (masquerade) chains; empty nat chains are left out. */
export function routingChains(r: Routing, logDropped: boolean): Chain[] {
  const seg = (name: string | undefined) => (name === undefined ? undefined : r.segments[name]);
  const forward: Chain['sections'] = [
    { title: 'conntrack: replies and related traffic of accepted connections', rules: ['ct state established,related accept', 'ct state invalid drop'] },
  ];
  const dnatAccepts = r.portForwards.flatMap((f, i) => {
    const { family, to, toPort } = portForwardParts(f);
    return between(seg(f.from), undefined, `port_forwards[${i}]`, (saddr) =>
      rule([ifMatch('iifname', seg(f.from)?.interfaces), saddr, `${family} daddr ${to}`, protoMatch(f.proto, [toPort]), 'ct status dnat', 'accept'], f.comment ?? `port forward ${f.port}`), family);
  });
  if (dnatAccepts.length) forward.push({ title: 'port forwards (their DNAT-ed connections only)', rules: dnatAccepts });
  if (r.podCidrs.v4.length + r.podCidrs.v6.length > 0) {
    const pods = [...r.podCidrs.v4.map((c) => ['ip', c]), ...r.podCidrs.v6.map((c) => ['ip6', c])];
    forward.push({
      title: 'pod network (a Kubernetes node routes its pods)',
      rules: pods.flatMap(([f, c]) => [rule([`${f} saddr ${c}`, 'accept'], 'pod network'), rule([`${f} daddr ${c}`, 'accept'], 'pod network')]),
    });
  }
  const rules = r.rules.flatMap((x, i) =>
    between(seg(x.from), seg(x.to), `forward_rules[${i}]`, (saddr, daddr) =>
      rule([ifMatch('iifname', seg(x.from)?.interfaces), saddr, ifMatch('oifname', seg(x.to)?.interfaces), daddr, protoMatch(x.proto, x.ports), x.action ?? 'accept'], x.comment ?? `${x.from} to ${x.to}`)),
  );
  if (rules.length) forward.push({ title: 'forward rules (firewall.forward_rules, in order)', rules });
  if (logDropped) forward.push({ title: 'log what the policy drops', rules: ['limit rate 5/second burst 10 packets log prefix "labwright forward drop: " level info'] });

  const dnat = r.portForwards.flatMap((f, i) => {
    const { family, target } = portForwardParts(f);
    const local = f.address ? `${family} daddr ${parseIp(f.address.trim()).toString()}` : 'fib daddr type local';
    return between(seg(f.from), undefined, `port_forwards[${i}]`, (saddr) =>
      rule([ifMatch('iifname', seg(f.from)?.interfaces), saddr, local, protoMatch(f.proto, [f.port]), `dnat ${family} to ${target}`], f.comment ?? `port forward ${f.port}`), family);
  });
  const snat = [
    ...r.masquerade.flatMap((m, i) =>
      between(seg(m.from), seg(m.out), `masquerade[${i}]`, (saddr, daddr) =>
        rule([ifMatch('iifname', seg(m.from)?.interfaces), saddr, ifMatch('oifname', seg(m.out)?.interfaces), daddr, 'masquerade'], m.comment ?? `${m.from} out through ${m.out}`)),
    ),
    ...r.portForwards.filter((f) => f.masquerade).map((f) => {
      const { family, to, toPort } = portForwardParts(f);
      return rule([`${family} daddr ${to}`, protoMatch(f.proto, [toPort]), 'ct status dnat', 'masquerade'], f.comment ?? `port forward ${f.port}`);
    }),
  ];
  return [
    { name: 'forward', hook: 'filter hook forward priority filter; policy drop;', sections: forward },
    ...(dnat.length ? [{ name: 'prerouting', hook: 'nat hook prerouting priority dstnat; policy accept;', sections: [{ title: 'port forwards (DNAT)', rules: dnat }] }] : []),
    ...(snat.length ? [{ name: 'postrouting', hook: 'nat hook postrouting priority srcnat; policy accept;', sections: [{ title: 'masquerade (source NAT)', rules: snat }] }] : []),
  ];
}

/** The sysctls a routing host needs (IPv6 forwarding only when it routes IPv6), or undefined when it does not route. */
export function forwardingSysctls(vars: FirewallVars): Record<string, number> | undefined {
  const routing = resolveRouting(vars, false);
  if (!routing) return undefined;
  return { 'net.ipv4.ip_forward': 1, ...(routing.ipv6 ? { 'net.ipv6.conf.all.forwarding': 1 } : {}) };
}

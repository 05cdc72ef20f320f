import { contains, numberToV4, parseV4Range } from '../net/address.js';
import type { Claim } from './claims.js';

type Of<K extends Claim['kind']> = Extract<Claim, { kind: K }>;
const ofKind = <K extends Claim['kind']>(claims: readonly Claim[], kind: K) => claims.filter((c): c is Of<K> => c.kind === kind);

/**
 * A pool announced by ARP (MetalLB L2, Cilium L2) must lie on a network a
 * node is attached to: its answers reach only that network, so a pool
 * anywhere else is unreachable without a route nobody has.
 */
export function l2PoolsOffSegment(claims: readonly Claim[]): string[] {
  const segments = ofKind(claims, 'segment');
  if (segments.length === 0) return []; // no node's networks known: nothing to compare with
  const cidrs = [...new Set(segments.map((s) => s.cidr))];
  return ofKind(claims, 'range')
    .filter((p) => p.purpose === 'loadbalancer' && p.announce === 'l2')
    .filter((p) => {
      const { first, last } = parseV4Range(p.range);
      return !cidrs.some((c) => contains(c, numberToV4(first)) && contains(c, numberToV4(last)));
    })
    .map(
      (p) =>
        `${p.what} ${p.range} (${p.by}) is announced by L2 (ARP) but lies on no network a node is attached to (${cidrs.join(', ')}): ` +
        'nobody on the pool\'s network hears the answers, so its addresses are unreachable; take the pool from one of those networks or announce it by BGP',
    );
}

/** A static route's gateway must be on a network of its host: the kernel refuses a next hop it cannot reach on a link. */
export function routeGatewaysOffSegment(claims: readonly Claim[]): string[] {
  const segments = ofKind(claims, 'segment');
  return ofKind(claims, 'route').flatMap((r) => {
    const mine = segments.filter((s) => s.host === r.host);
    if (mine.length === 0 || mine.some((s) => contains(s.cidr, r.via))) return []; // the host's networks unknown, or the gateway on one
    const nets = [...new Set(mine.map((s) => s.cidr))].map((cidr) => {
      const links = [...new Set(mine.filter((s) => s.cidr === cidr && s.link).map((s) => s.link!))];
      return links.length > 0 ? `${cidr} on ${links.join(', ')}` : `${cidr} (${mine.find((s) => s.cidr === cidr)!.by})`;
    });
    return [
      `static route to ${r.to} via ${r.via} on ${r.host} (${r.by}): ${r.via} is on none of ${r.host}'s networks (${nets.join(', ')}); ` +
        'route through a gateway on one of them, or set onlink with dev if the gateway really is on that link',
    ];
  });
}

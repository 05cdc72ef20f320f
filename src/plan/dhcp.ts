import { cidrsOverlap, contains, numberToV4, parseV4Range, rangesOverlap } from '../net/address.js';
import type { Claim } from './claims.js';

type DhcpRange = Extract<Claim, { kind: 'range' }>;

/** Whether the range lies (at least with its first address) in `subnet`. */
function servesSubnet(r: DhcpRange, subnet: string): boolean {
  if (r.subnet !== undefined) return cidrsOverlap(r.subnet, subnet);
  return contains(subnet, numberToV4(parseV4Range(r.range).first));
}

/**
 * A DHCP server declared the only one of its subnet (dnsmasq's
 * `dhcp-authoritative` NAKs every lease it does not know) next to a second
 * DHCP server on that subnet: the second one's clients would be NAKed at
 * every renewal by the first.
 */
export function dhcpAuthorityConflicts(claims: readonly Claim[]): string[] {
  const ranges = claims.filter((c): c is DhcpRange => c.kind === 'range' && c.purpose === 'dhcp');
  const out: string[] = [];
  for (const a of ranges) {
    if (!a.exclusive || !a.subnet) continue;
    const others = ranges.filter((b) => b.by !== a.by && servesSubnet(b, a.subnet!));
    for (const b of others) {
      if (b.exclusive && b.by < a.by) continue; // both declared: one sentence for the pair
      out.push(
        `${a.by} is declared the only DHCP server of ${a.subnet} (${a.exclusive}), but ${b.by} also serves DHCP there (${b.range}): ` +
          `its clients would be NAKed at every renewal. Keep one DHCP server on the subnet, or set dnsmasq.authoritative: false`,
      );
    }
  }
  return out;
}

/**
 * Two DHCP servers on one segment both answer every DISCOVER: a client takes
 * whichever answers first and the other hands its addresses out again. Allowed
 * only as a declared failover pair with split ranges; a server labwright does
 * not manage (lan.external_dhcp) may share the segment if the ranges are apart.
 */
export function dhcpServerConflicts(claims: readonly Claim[]): string[] {
  const ranges = claims.filter((c): c is DhcpRange => c.kind === 'range' && c.purpose === 'dhcp' && !c.exclusive && c.subnet !== undefined);
  const out: string[] = [];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.by === b.by || !cidrsOverlap(a.subnet!, b.subnet!)) continue;
      const overlap = rangesOverlap(parseV4Range(a.range), parseV4Range(b.range));
      const paired = a.host !== undefined && b.host !== undefined && (a.peer === b.host || b.peer === a.host);
      const both = `${a.by} (${a.range}) and ${b.by} (${b.range})`;
      if (a.host === undefined || b.host === undefined) {
        if (overlap) out.push(`${both} hand out the same addresses on ${a.subnet}: move one range out of the other`);
      } else if (!paired) {
        out.push(
          `${both} both serve DHCP on ${a.subnet}: clients take whichever answers first and renew against the other. ` +
            'Keep one, or declare them a failover pair (dnsmasq.failover_peer) with split ranges',
        );
      } else if (overlap) {
        out.push(`${both} are a failover pair on ${a.subnet} but their ranges overlap: split them, or both lease one address to two clients`);
      }
    }
  }
  return out;
}

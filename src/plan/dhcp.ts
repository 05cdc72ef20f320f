import { cidrsOverlap, contains, numberToV4, parseV4Range } from '../net/address.js';
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

import { nftPorts, nftSetExpr, nftString } from '../../src/net/nft.js';

/** A protocol of a typed rule: tcp, udp, both, ICMP (v4 or v6) or an IP protocol number. */
export type Proto = 'tcp' | 'udp' | 'tcp+udp' | 'icmp' | 'icmpv6' | number;

/** The nft match for a protocol and optional destination ports (undefined: any protocol). */
export function protoMatch(proto: Proto | undefined, ports: (number | string)[] | undefined): string | undefined {
  const p = ports && ports.length > 0 ? nftSetExpr(nftPorts(ports)) : undefined;
  switch (proto) {
    case undefined:
      return undefined;
    case 'tcp':
    case 'udp':
      return p ? `${proto} dport ${p}` : `meta l4proto ${proto}`;
    case 'tcp+udp':
      return p ? `meta l4proto { tcp, udp } th dport ${p}` : 'meta l4proto { tcp, udp }';
    case 'icmp':
      return 'meta l4proto icmp';
    case 'icmpv6':
      return 'meta l4proto ipv6-icmp';
    default:
      return `meta l4proto ${proto}`;
  }
}

/** One rule line from its non-empty parts, with an optional comment. */
export function rule(parts: (string | undefined)[], comment?: string): string {
  return [...parts, comment ? `comment ${nftString(comment)}` : undefined].filter(Boolean).join(' ');
}

/** `iifname "x"` / `oifname { "a", "b" }` (undefined when there are none). */
export function ifMatch(direction: 'iifname' | 'oifname', names: readonly string[] | undefined): string | undefined {
  return names && names.length > 0 ? `${direction} ${nftSetExpr(names.map((n) => nftString(n)))}` : undefined;
}

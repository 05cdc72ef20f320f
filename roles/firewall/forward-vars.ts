import { z } from 'zod';
import { isIp, parseIp } from '../../src/net/address.js';
import { cidr, comment, interfaceName, ip, port, portProtos, proto } from './fields.js';

/**
 * The schema of routed traffic: named segments (interfaces and/or networks),
 * forward rules between them, masquerade (source NAT) and port forwards (DNAT).
 * References between them are checked by `forwardingIssues`.
 */

const SEGMENT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const segmentName = z.string().regex(SEGMENT_NAME, 'a segment name (lowercase letters, digits, _ and -, starting with a letter)');
const portNumber = z.number().int().min(1).max(65535);

export const segment = z
  .object({
    interfaces: z.array(interfaceName).min(1).optional().describe('Its interfaces on this host, e.g. ["br0.100"] or ["eth*"]'),
    networks: z.array(cidr).min(1).optional().describe('Its networks (CIDRs, IPv4 and/or IPv6), e.g. ["10.10.100.0/24"]'),
  })
  .strict()
  .refine((s) => s.interfaces !== undefined || s.networks !== undefined, { message: 'a segment needs interfaces, networks or both' });

export const forwardRule = z
  .object({
    from: segmentName.describe('Segment the traffic comes from'),
    to: segmentName.describe('Segment it goes to'),
    proto: proto.optional().describe('tcp, udp, tcp+udp, icmp, icmpv6 or an IP protocol number; omitted = any'),
    ports: z.array(port).min(1).optional().describe('Destination ports or ranges; only with tcp, udp or tcp+udp'),
    action: z.enum(['accept', 'drop', 'reject']).optional().describe('accept (default), drop or reject'),
    comment: comment.optional().describe('Shown in `nft list ruleset` (default: names the segments or the port)'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.ports && !(portProtos as readonly unknown[]).includes(r.proto)) ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ports need proto tcp, udp or tcp+udp' });
  });

export const masquerade = z
  .object({
    from: segmentName.describe('Segment whose traffic is masqueraded'),
    out: segmentName.describe('Segment it leaves through (its interfaces and/or networks): it leaves with this host\'s address there'),
    comment: comment.optional().describe('Shown in `nft list ruleset` (default: names the segments or the port)'),
  })
  .strict();

export const portForward = z
  .object({
    proto: z.enum(portProtos).default('tcp').describe('tcp, udp or tcp+udp'),
    port: portNumber.describe('Port on this host'),
    to: ip.describe('Address the connections are forwarded to'),
    to_port: portNumber.optional().describe('Port there (default: port)'),
    from: segmentName.optional().describe('Only for clients of this segment (default: any)'),
    address: ip.optional().describe('Only for this address of the host, e.g. a VIP (default: any address of the host)'),
    masquerade: z
      .boolean()
      .default(false)
      .describe('Also rewrite the source to this host\'s address, for a backend whose default route does not lead back through this host'),
    comment: comment.optional().describe('Shown in `nft list ruleset` (default: names the segments or the port)'),
  })
  .strict()
  .superRefine((f, ctx) => {
    const kind = (s: string) => (isIp(s.trim()) ? parseIp(s.trim()).kind() : undefined);
    if (f.address && kind(f.address) !== kind(f.to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `${f.to} and address ${f.address} are of different IP families (NAT64 is not supported)` });
    }
  });

export const forwardingVars = {
  forwarding: z
    .boolean()
    .optional()
    .describe('Route between segments: a forward chain (policy drop, established/related accepted) and net.ipv4.ip_forward=1 (net.ipv6.conf.all.forwarding=1 when a segment has IPv6 networks). Default: true when forward_rules, masquerade or port_forwards are set'),
  segments: z
    .record(z.string(), segment)
    .superRefine((segments, ctx) => {
      for (const name of Object.keys(segments)) {
        if (!SEGMENT_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a segment name (lowercase letters, digits, _ and -, starting with a letter)` });
      }
    })
    .default({})
    .describe('Named segments this host routes between: {interfaces, networks}; both given = both must match'),
  forward_rules: z
    .array(forwardRule)
    .default([])
    .describe('Which forwarded traffic is allowed, in order: {from, to, proto, ports, action, comment} (segment names); the rest is dropped'),
  masquerade: z.array(masquerade).default([]).describe('Source NAT: {from, out} masquerades traffic of segment from leaving through segment out (a NAT gateway)'),
  port_forwards: z
    .array(portForward)
    .default([])
    .describe('DNAT: {proto, port, to, to_port, from, address, masquerade}: connections to this host\'s port go to to:to_port, and the forward chain accepts them'),
};

type Refs = {
  forwarding?: boolean;
  segments: Record<string, unknown>;
  forward_rules: { from: string; to: string }[];
  masquerade: { from: string; out: string }[];
  port_forwards: { from?: string }[];
};

/** Segment names that do not exist, and routed traffic configured with forwarding: false; each with its key path. */
export function forwardingIssues(v: Refs): { path: (string | number)[]; message: string }[] {
  const known = Object.keys(v.segments);
  const missing = (name: string | undefined) => name !== undefined && !known.includes(name);
  const issue = (path: (string | number)[], name: string) => ({
    path,
    message: `no segment "${name}" (${known.length ? `segments: ${known.join(', ')}` : 'define it under firewall.segments'})`,
  });
  const issues = [
    ...v.forward_rules.flatMap((r, i) => (['from', 'to'] as const).filter((k) => missing(r[k])).map((k) => issue(['forward_rules', i, k], r[k]))),
    ...v.masquerade.flatMap((m, i) => (['from', 'out'] as const).filter((k) => missing(m[k])).map((k) => issue(['masquerade', i, k], m[k]))),
    ...v.port_forwards.flatMap((f, i) => (missing(f.from) ? [issue(['port_forwards', i, 'from'], f.from!)] : [])),
  ];
  if (v.forwarding === false) {
    for (const key of ['forward_rules', 'masquerade', 'port_forwards'] as const) {
      if (v[key].length > 0) issues.push({ path: ['forwarding'], message: `forwarding: false, but ${key} is set (routed traffic needs forwarding)` });
    }
  }
  return issues;
}

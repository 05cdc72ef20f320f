import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { isCidr, parseIp } from '../../src/net/address.js';
import { canonicalDestination, destinationFamily, ipFamily, isStrictIp, isV4Range, v4RangeToCidrs } from '../../src/net/ip-route.js';
import type { NetplanDeviceType } from '../../src/net/netplan.js';
import { IFNAME } from '../../src/net/networkd.js';

export const RENDERERS = ['auto', 'networkd', 'netplan', 'ifupdown', 'none'] as const;
export type RouteRenderer = (typeof RENDERERS)[number];

const ifname = z.string().regex(IFNAME, 'an interface name: 1–15 letters, digits, "_", ".", "-" or "@"');
const ip = z
  .string()
  .trim()
  .refine(isStrictIp, 'expected an IP address such as 10.4.0.1')
  .transform((s) => parseIp(s).toString());

/** "10.4.11.0/24", "10.4.11.7", "default", or an IPv4 range "10.4.11.0 - 10.4.15.255" (a MetalLB pool) → canonical CIDRs. */
const destination = z
  .string()
  .trim()
  .refine((s) => s === 'default' || s === 'default6' || isStrictIp(s) || (isStrictIp(s.split('/')[0]) && isCidr(s)) || isV4Range(s), {
    message: 'expected a CIDR (10.4.11.0/24), an address, "default", "default6" or an IPv4 range (10.4.11.0 - 10.4.15.255)',
  })
  .transform((s) => (isV4Range(s) && !isCidr(s) ? v4RangeToCidrs(s) : [canonicalDestination(s)]));

export const routeVars = z.strictObject({
  to: destination.describe('Destination: CIDR, single address, `default`/`default6`, or an IPv4 range such as a MetalLB pool `10.4.11.0 - 10.4.15.255` (split into the CIDRs covering it)'),
  via: ip.optional().describe('Gateway (next hop). Without it the route is on-link through `dev`'),
  dev: ifname.optional().describe('Egress interface. Derived when omitted: the link of the networking role whose subnet holds `via`, else `ip route get VIA` on the host'),
  dev_of: z
    .string()
    .trim()
    .refine((s) => isStrictIp(s.split('/')[0]) && isCidr(s), 'expected a subnet such as 10.4.0.0/20')
    .transform((s) => canonicalDestination(s))
    .optional()
    .describe("Egress interface: the one the host's own route to this subnet uses (`ip route show SUBNET`: its interface on that network, e.g. the LAN subnet, whatever the NIC is named: `eth0`, `end0`, `enp1s0`)"),
  metric: z.number().int().min(0).max(4294967295).optional().describe('Route metric (priority); the kernel default is 0 (IPv4) / 1024 (IPv6)'),
  onlink: z.boolean().default(false).describe('Gateway reachable on the link even outside its subnets (needs `dev`)'),
  table: z.number().int().min(1).max(4294967295).refine((t) => t !== 255, 'table 255 is the kernel\'s local table').optional().describe('Routing table number (default: main)'),
  src: ip.optional().describe('Preferred source address'),
  state: z.enum(['present', 'absent']).default('present').describe('`absent` deletes the route now and drops it from the persisted files'),
});

export const LINK_TYPES = ['ethernets', 'bridges', 'bonds', 'vlans', 'dummies'] as const;

export const staticRoutesVars = z
  .strictObject({
    routes: z.array(routeVars).default([]).describe('The routes'),
    renderer: z
      .enum(RENDERERS)
      .default('auto')
      .describe(
        'Where routes persist: `networkd` (a drop-in of the link\'s .network), `netplan` (/etc/netplan/70-labwright-routes.yaml), `ifupdown` (/etc/network/interfaces.d/labwright-routes-IF), `none` (runtime only). Default: the networking role\'s renderer when the host has networking vars, else `auto` (per link: what manages it now)',
      ),
    links: z
      .record(
        z.string(),
        z.strictObject({ type: z.enum(LINK_TYPES), addresses: z.array(z.string()).default([]) }),
      )
      .default({})
      .describe('Links the networking role configures on this host, with their Netplan section and addresses (derived from its vars; used to find `dev` and where to persist)'),
    network_files: z
      .record(z.string(), z.string().regex(/^[^/]+\.network$/, 'a .network file name such as 10-eth0.network'))
      .default({})
      .describe('networkd only: the .network file (name) whose drop-in carries the routes of a link, when it cannot be derived or read from networkctl'),
    rollback_after: z
      .number()
      .int()
      .min(15)
      .max(600)
      .default(60)
      .describe('Seconds after which a change to the path to the controller (a default route, or a route holding its address or gateway) is undone unless a NEW SSH connection confirmed it'),
  })
  .superRefine((v, ctx) => {
    const seen = new Map<string, number>();
    v.routes.forEach((r, i) => {
      if (!Array.isArray(r.to)) return; // its own error is reported
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: ['routes', i, path], message });
      if (!r.via && !r.dev && !r.dev_of && r.state === 'present') issue('via', 'a route needs a gateway (via) or an interface (dev, or dev_of a subnet)');
      if (r.dev && r.dev_of) issue('dev_of', 'set dev or dev_of, not both');
      if (r.onlink && (!r.via || !r.dev)) issue('onlink', 'onlink needs both via and dev');
      for (const to of r.to) {
        const fam = destinationFamily(to);
        if (r.via && ipFamily(r.via) !== undefined && ipFamily(r.via) !== fam) {
          issue('via', `gateway ${r.via} is not of the same address family as ${to}${to === 'default' ? ' (an IPv6 default route is "default6" or "::/0")' : ''}`);
        }
        if (r.src && ipFamily(r.src) !== undefined && ipFamily(r.src) !== fam) issue('src', `source ${r.src} is not of the same address family as ${to}`);
        if (r.state !== 'present') continue;
        const key = `${to} metric ${r.metric ?? 'default'} table ${r.table ?? 'main'}`;
        if (seen.has(key)) issue('to', `${key} is already route ${seen.get(key)} (the kernel keeps one route per destination, metric and table)`);
        seen.set(key, i);
      }
    });
  });

export type StaticRoutesVars = z.output<typeof staticRoutesVars>;
export type RouteVars = StaticRoutesVars['routes'][number];

/** The networking role's vars as the inventory has them (raw: only names, sections and addresses are read). */
interface RawNetworking {
  renderer?: unknown;
  interfaces?: Record<string, { addresses?: unknown }>;
  bridges?: Record<string, { addresses?: unknown; interfaces?: unknown }>;
  bonds?: Record<string, { addresses?: unknown }>;
  vlans?: Record<string, { addresses?: unknown }>;
  dummies?: Record<string, { addresses?: unknown }>;
}

const SECTION_TYPE: Record<string, (typeof LINK_TYPES)[number]> = {
  interfaces: 'ethernets',
  bridges: 'bridges',
  bonds: 'bonds',
  vlans: 'vlans',
  dummies: 'dummies',
};

/**
 * Defaults from the inventory: with the networking role configured on this
 * host, routes persist with its renderer, and its links (with their
 * addresses) tell which interface a gateway is on and which Netplan section
 * or networkd file a link has, so nothing is typed twice and --check needs
 * no live lookup.
 */
export function staticRoutesDefaults(host: Host, _inventory: Inventory): Record<string, unknown> {
  const net = host.vars.networking as RawNetworking | undefined;
  if (!net || typeof net !== 'object') return {};
  const links: Record<string, { type: string; addresses: string[] }> = {};
  for (const [section, type] of Object.entries(SECTION_TYPE)) {
    const entries = (net as Record<string, unknown>)[section];
    if (!entries || typeof entries !== 'object') continue;
    for (const [name, def] of Object.entries(entries as Record<string, { addresses?: unknown }>)) {
      const addresses = Array.isArray(def?.addresses) ? def.addresses.filter((a): a is string => typeof a === 'string') : [];
      links[name] = { type, addresses };
    }
  }
  return { renderer: net.renderer === 'netplan' ? 'netplan' : 'networkd', links };
}

/** The configured link whose subnet holds `gateway` (longest prefix wins). */
export function linkForGateway(links: StaticRoutesVars['links'], gateway: string): string | undefined {
  const gw = parseIp(gateway);
  let best: { name: string; prefix: number } | undefined;
  for (const [name, l] of Object.entries(links)) {
    for (const a of l.addresses) {
      if (!isCidr(a)) continue;
      const [addr, prefix] = ipaddr.parseCIDR(a);
      if (addr.kind() === gw.kind() && gw.match(addr, prefix) && (!best || prefix > best.prefix)) best = { name, prefix };
    }
  }
  return best?.name;
}

export type { NetplanDeviceType };

import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { contains, netmask, numberToV4, parseCidr, v4Bounds, v4ToNumber } from '../../src/net/address.js';
import {
  DNS_LABEL,
  dnsNameSchema,
  firstIn,
  inventoryHostsOnLan,
  ipv4CidrSchema,
  ipv4Schema,
  isDnsName,
  lanOf,
  macSchema,
} from '../../src/net/lan.js';

/** Where the role keeps the files dnsmasq re-reads on SIGHUP (outside /etc/dnsmasq.d, which dnsmasq parses as config). */
export const DATA_DIR = '/etc/dnsmasq.labwright';
export const CONFIG_PATH = '/etc/dnsmasq.d/labwright.conf';
export const DHCP_HOSTS_PATH = `${DATA_DIR}/dhcp-hosts`;
export const HOSTS_PATH = `${DATA_DIR}/hosts`;
export const DEFAULT_LEASE_FILE = '/var/lib/misc/dnsmasq.leases';

/** An upstream DNS server: an IP, optionally `#port` (dnsmasq's syntax). */
const upstreamSchema = z
  .string()
  .refine((s) => {
    const [ip, port, ...rest] = s.split('#');
    return rest.length === 0 && ipaddr.isValid(ip) && (ipaddr.IPv4.isValidFourPartDecimal(ip) || ip.includes(':')) && (port === undefined || /^\d{1,5}$/.test(port));
  }, 'expected an upstream DNS server: an IP address, optionally with #port (1.1.1.1, 10.0.0.53#5353)');

const reservationSchema = z.object({
  mac: macSchema.describe('the client NIC'),
  ip: ipv4Schema.describe('the address it always gets'),
  name: z.string().regex(DNS_LABEL, 'expected a host name: one DNS label (letters, digits, inner hyphens; no "_" or ".")').describe('its host name (also a DNS record)'),
});

const leaseTime = z
  .string()
  .regex(/^(\d+[smhdw]?|infinite)$/, 'expected a lease time such as 12h, 30m, 3600 or infinite');

export const dnsmasqVars = z.object({
  subnet: ipv4CidrSchema.optional().describe('IPv4 subnet served: DHCP range, router, interface, reservations and records derive from it. Default: the inventory var `lan.subnet`'),
  interface: z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'expected an interface name such as br0').optional().describe("interface to serve. Default: the host's interface holding an address in `subnet` (read from `ip -j addr` when planning)"),
  bind: z.enum(['dynamic', 'interfaces']).default('dynamic').describe('`bind-dynamic` (follows interfaces that appear later, Linux) or `bind-interfaces`; never the wildcard bind that collides with other :53 listeners'),
  port: z.number().int().min(0).max(65535).default(53).describe('DNS port; 0 turns DNS off (DHCP only)'),
  domain: dnsNameSchema.default('home.arpa').describe('local DNS domain, answered locally and never forwarded. Default: `lan.domain`, else home.arpa (RFC 8375)'),
  range: z
    .object({ start: ipv4Schema.describe('first address of the pool'), end: ipv4Schema.describe('last address of the pool') })
    .optional()
    .describe('dynamic DHCP pool. Default: .100–.199 of the subnet (the upper half minus broadcast for subnets smaller than /24)'),
  lease_time: leaseTime.default('12h').describe('lease time of the dynamic pool and reservations'),
  router: z.union([ipv4Schema, z.literal(false)]).optional().describe('DHCP router option. Default: `lan.gateway`, else the subnet\'s first address; false sends none'),
  dns_servers: z.array(ipv4Schema).optional().describe('DHCP DNS-server option. Default: dnsmasq\'s own address (when `port` is not 0)'),
  upstream: z.array(upstreamSchema).default([]).describe('forwarders for names outside the local domain (`server=`); /etc/resolv.conf is never read (`no-resolv`). Empty: answer local names only'),
  forward_zones: z.record(dnsNameSchema, z.array(upstreamSchema).min(1)).default({}).describe('per-domain forwarders (`server=/corp.example/10.9.0.53`)'),
  reservations: z.array(reservationSchema).default([]).describe('MAC reservations besides the inventory\'s (an entry with the MAC or name of an inventory host replaces its derived one)'),
  records: z.record(dnsNameSchema, ipv4Schema).default({}).describe('extra DNS names → address (a name without a dot gets the domain), e.g. `{ api: 10.0.0.10 }`'),
  from_inventory: z.boolean().default(true).describe('derive a reservation for every inventory host with `mac` and an address in the subnet (`ip`/`ansible_host`), and a DNS record for every host with an address in the subnet'),
  inventory_hosts: z
    .array(z.object({ name: z.string(), addresses: z.array(z.string()), mac: z.string().optional() }))
    .default([])
    .describe('derived from the inventory (names, addresses, MACs of all hosts): leave unset'),
  authoritative: z.boolean().default(true).describe('`dhcp-authoritative`: the only DHCP server on the segment, NAKs unknown leases at once'),
  lease_file: z.string().startsWith('/').default(DEFAULT_LEASE_FILE).describe('lease database'),
  log_dhcp: z.boolean().default(false).describe('`log-dhcp`: log every DHCP exchange in detail'),
  extra_options: z.array(z.string().regex(/^[^\n]+$/, 'one option per entry, no newlines')).default([]).describe('extra lines for the main config (checked by `dnsmasq --test` before going live)'),
});

export type DnsmasqInput = z.output<typeof dnsmasqVars>;

export interface Reservation {
  mac: string;
  ip: string;
  name: string;
  /** Where it comes from, for messages. */
  source: string;
}

/** Everything the config files are rendered from, derived and checked. */
export interface DnsmasqConfig {
  subnet: string;
  netmask: string;
  interface?: string;
  bind: 'dynamic' | 'interfaces';
  port: number;
  domain: string;
  range: { start: string; end: string };
  leaseTime: string;
  router?: string;
  dnsServers?: string[];
  upstream: string[];
  forwardZones: { zone: string; server: string }[];
  reservations: Reservation[];
  /** Hosts-file lines: address and names (FQDN first). */
  records: { ip: string; names: string[] }[];
  authoritative: boolean;
  leaseFile: string;
  logDhcp: boolean;
  extraOptions: string[];
}

/** Defaults derived from the inventory: the shared `lan` var and every host's addresses and MAC. */
export function dnsmasqDefaults(host: Host, inventory: Inventory): Record<string, unknown> {
  const lan = lanOf(host);
  return {
    ...(lan.subnet ? { subnet: lan.subnet } : {}),
    ...(lan.domain ? { domain: lan.domain } : {}),
    ...(lan.gateway ? { router: lan.gateway } : {}),
    inventory_hosts: inventoryHostsOnLan(inventory),
  };
}

/** The default dynamic pool: .100–.199 of a /24 or larger, else the upper half of the subnet minus broadcast. */
export function defaultRange(subnet: string): { start: string; end: string } {
  const { first, last } = v4Bounds(subnet);
  const size = last - first + 1;
  if (size >= 256) return { start: numberToV4(first + 100), end: numberToV4(first + 199) };
  if (size < 8) throw new RangeError(`subnet ${subnet} is too small for a default dynamic range: set dnsmasq.range`);
  return { start: numberToV4(first + size / 2), end: numberToV4(last - 1) };
}

type Issue = { path: (string | number)[]; message: string };

/** A name as a record: short names get the domain; the FQDN comes first (it is what PTR answers). */
function recordNames(name: string, domain: string): string[] {
  if (name.includes('.')) return [name];
  return [`${name}.${domain}`, name];
}

/** An inventory host name as a DNS label: `node1` or `node1.<domain>`; undefined if it is neither. */
function inventoryLabel(name: string, domain: string): string | undefined {
  if (DNS_LABEL.test(name)) return name;
  if (name.endsWith(`.${domain}`) && DNS_LABEL.test(name.slice(0, -domain.length - 1))) return name.slice(0, -domain.length - 1);
  return undefined;
}

/**
 * Derives the effective configuration from the parsed vars and checks it as
 * a whole: range inside the subnet, no reservation inside the dynamic range,
 * no address or MAC reserved twice.
 */
export function deriveConfig(v: DnsmasqInput): { config?: DnsmasqConfig; issues: Issue[] } {
  const issues: Issue[] = [];
  if (!v.subnet) {
    return { issues: [{ path: ['subnet'], message: 'no subnet: set dnsmasq.subnet, or lan.subnet once for the whole inventory (group_vars/all)' }] };
  }
  const subnet = v.subnet;
  const cidr = parseCidr(subnet);
  const bounds = v4Bounds(cidr);
  const inside = (ip: string) => contains(cidr, ip) && v4ToNumber(ip) !== bounds.first && v4ToNumber(ip) !== bounds.last;

  let range: { start: string; end: string };
  try {
    range = v.range ?? defaultRange(subnet);
  } catch (e) {
    return { issues: [{ path: ['range'], message: (e as Error).message }] };
  }
  for (const end of ['start', 'end'] as const) {
    if (!inside(range[end])) issues.push({ path: ['range', end], message: `${range[end]} is not a host address of the subnet ${subnet}` });
  }
  const lo = v4ToNumber(range.start);
  const hi = v4ToNumber(range.end);
  if (hi < lo) issues.push({ path: ['range'], message: `range end ${range.end} comes before its start ${range.start}` });
  const rangeText = `${range.start}-${range.end}`;
  const inRange = (ip: string) => v4ToNumber(ip) >= lo && v4ToNumber(ip) <= hi;

  let router: string | undefined;
  if (v.router !== false) {
    router = v.router ?? numberToV4(bounds.first + 1);
    if (!inside(router)) issues.push({ path: ['router'], message: `router ${router} is not a host address of the subnet ${subnet}` });
    else if (inRange(router)) issues.push({ path: ['router'], message: `router ${router} lies inside the dynamic range ${rangeText}: a client could be given the router's address` });
  }

  // Reservations: derived from the inventory, then the explicit ones (which replace a derived one with the same MAC or name).
  const reservations: Reservation[] = [];
  const inventoryRecords: { name: string; ip: string }[] = [];
  if (v.from_inventory) {
    for (const h of v.inventory_hosts) {
      const ip = firstIn(h.addresses, subnet);
      if (!ip) continue;
      const label = inventoryLabel(h.name, v.domain);
      if (!label) {
        issues.push({
          path: ['inventory_hosts'],
          message: `inventory host "${h.name}" has an address in ${subnet} but its name is not a DNS label (nor one followed by .${v.domain}): rename it or set dnsmasq.from_inventory: false`,
        });
        continue;
      }
      inventoryRecords.push({ name: label, ip });
      if (h.mac) reservations.push({ mac: h.mac, ip, name: label, source: `inventory host ${h.name}` });
    }
  }
  v.reservations.forEach((r, i) => {
    const replaced = reservations.findIndex((d) => d.source.startsWith('inventory') && (d.mac === r.mac || d.name === r.name));
    if (replaced >= 0) reservations.splice(replaced, 1);
    if (!contains(cidr, r.ip)) issues.push({ path: ['reservations', i, 'ip'], message: `reservation ${r.name} (${r.ip}) is outside the subnet ${subnet}: dnsmasq would never hand it out` });
    reservations.push({ ...r, source: `dnsmasq.reservations[${i}]` });
  });
  const seen = { mac: new Map<string, Reservation>(), ip: new Map<string, Reservation>(), name: new Map<string, Reservation>() };
  for (const r of reservations) {
    if (inRange(r.ip)) {
      issues.push({
        path: ['reservations'],
        message: `reservation ${r.name} (${r.ip}, ${r.source}) lies inside the dynamic range ${rangeText}: move the reservation or the range`,
      });
    }
    for (const key of ['mac', 'ip', 'name'] as const) {
      const other = seen[key].get(r[key]);
      if (other) issues.push({ path: ['reservations'], message: `${key} ${r[key]} is reserved twice: ${other.name} (${other.source}) and ${r.name} (${r.source})` });
      else seen[key].set(r[key], r);
    }
  }

  // DNS records: reservations, inventory hosts, then the explicit records; one address per name.
  const byName = new Map<string, { ip: string; source: string }>();
  const records: { ip: string; names: string[] }[] = [];
  const addRecord = (name: string, ip: string, source: string, path: (string | number)[]) => {
    const fqdn = name.includes('.') ? name : `${name}.${v.domain}`;
    const other = byName.get(fqdn);
    if (other && other.ip !== ip) {
      issues.push({ path, message: `DNS name ${fqdn} would point to ${other.ip} (${other.source}) and ${ip} (${source}): give one of them another name` });
      return;
    }
    if (!other) byName.set(fqdn, { ip, source });
    if (!records.some((rec) => rec.names.includes(fqdn))) records.push({ ip, names: recordNames(name, v.domain) });
  };
  for (const r of reservations) addRecord(r.name, r.ip, r.source, ['reservations']);
  for (const h of inventoryRecords) if (!reservations.some((r) => r.name === h.name)) addRecord(h.name, h.ip, `inventory host ${h.name}`, ['inventory_hosts']);
  for (const [name, ip] of Object.entries(v.records)) {
    if (!isDnsName(name)) continue; // the schema already reported it
    addRecord(name, ip, `dnsmasq.records.${name}`, ['records', name]);
  }

  if (issues.length > 0) return { issues };
  return {
    issues,
    config: {
      subnet,
      netmask: netmask(cidr),
      interface: v.interface,
      bind: v.bind,
      port: v.port,
      domain: v.domain,
      range,
      leaseTime: v.lease_time,
      router,
      dnsServers: v.dns_servers,
      upstream: v.upstream,
      forwardZones: Object.entries(v.forward_zones).flatMap(([zone, servers]) => servers.map((server) => ({ zone, server }))),
      reservations,
      records,
      authoritative: v.authoritative,
      leaseFile: v.lease_file,
      logDhcp: v.log_dhcp,
      extraOptions: v.extra_options,
    },
  };
}

/** The role's vars schema: parsed, then derived and checked as a whole (output: the effective config). */
export const dnsmasqSchema = dnsmasqVars.transform((v, ctx) => {
  const { config, issues } = deriveConfig(v);
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return config ?? z.NEVER;
});

export type DnsmasqVars = z.output<typeof dnsmasqSchema>;

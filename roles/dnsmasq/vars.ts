import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { contains } from '../../src/net/address.js';
import { deriveConfig } from '../../src/net/dnsmasq-config.js';
import { DNS_LABEL, dnsNameSchema, inventoryHostsOnLan, ipv4CidrSchema, ipv4Schema, lanOf, macSchema } from '../../src/net/lan.js';

// The config derivation and rendering live in src/net/dnsmasq-config.ts (shared with mac-lab).
export { defaultRange, deriveConfig, type DnsmasqConfig, type Reservation } from '../../src/net/dnsmasq-config.js';

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

const reservationSchema = z.strictObject({
  mac: macSchema.describe('the client NIC'),
  ip: ipv4Schema.describe('the address it always gets'),
  name: z.string().regex(DNS_LABEL, 'expected a host name: one DNS label (letters, digits, inner hyphens; no "_" or ".")').describe('its host name (also a DNS record)'),
});

const leaseTime = z
  .string()
  .regex(/^(\d+[smhdw]?|infinite)$/, 'expected a lease time such as 12h, 30m, 3600 or infinite');

const interfaceName = z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'expected an interface name such as br0 or br0.100');
const rangeSchema = z.strictObject({ start: ipv4Schema.describe('first address of the pool'), end: ipv4Schema.describe('last address of the pool') });

/** A further DHCP segment: its own subnet (on a VLAN or another NIC), range, reservations, options and optional DNS subzone. */
const segmentSchema = z.strictObject({
  subnet: ipv4CidrSchema.describe('the segment\'s IPv4 subnet (must not overlap the main one or another segment)'),
  interface: interfaceName.optional().describe("interface to serve it on. Default: the host's interface holding an address in the subnet"),
  range: rangeSchema.optional().describe('dynamic pool. Default: .100–.199 of the subnet (as the main range)'),
  router: z.union([ipv4Schema, z.literal(false)]).optional().describe("router option. Default: the subnet's first address; false sends none"),
  dns_servers: z.array(ipv4Schema).optional().describe("DNS-server option. Default: dnsmasq's own address on the segment (when `port` is not 0)"),
  domain: dnsNameSchema
    .optional()
    .describe('DNS subzone of the segment (`tenant1.lab`): its DHCP clients get it as their domain, its hosts\' records are `<name>.<domain>` (FQDN only), answered locally. Default: the main `domain`'),
  lease_time: leaseTime.optional().describe('lease time. Default: the main `lease_time`'),
  reservations: z.array(reservationSchema).default([]).describe('MAC reservations on the segment (inventory hosts with an address in the subnet and a `mac` are added)'),
  records: z.record(dnsNameSchema, ipv4Schema).default({}).describe('extra DNS names → address; a name without a dot gets the segment\'s domain'),
});

const SEGMENT_NAME = /^[a-z][a-z0-9_-]{0,30}$/;

const bootFile = z
  .string()
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._+\/-]+$/, 'expected a boot file path relative to the TFTP root, such as pxelinux.0 or efi64/grubx64.efi (no "..", no leading /)');

const pxeSchema = z.strictObject({
  boot: z
    .strictObject({
      bios: bootFile.optional().describe('for legacy BIOS PXE (option 93 = 0), e.g. pxelinux.0'),
      efi_ia32: bootFile.optional().describe('for 32-bit UEFI (6)'),
      efi_x86_64: bootFile.optional().describe('for x86-64 UEFI (7 and 9), e.g. grubx64.efi'),
      efi_arm64: bootFile.optional().describe('for ARM64 UEFI (11)'),
    })
    .describe('boot file per client architecture (DHCP option 93); a client of another architecture, or one that is not PXE, gets none'),
  tftp_root: z.string().startsWith('/').default('/srv/tftp').describe("dnsmasq's own TFTP server (`enable-tftp`) serves this directory (created by the role; the boot files are yours to put there)"),
  server: ipv4Schema.optional().describe('another TFTP server (next-server) holds the boot files: dnsmasq then serves no TFTP'),
  segments: z.array(z.string()).min(1).optional().describe('the segments that get boot files (`lan` is the main one). Default: every segment'),
});

export const dnsmasqVars = z.strictObject({
  subnet: ipv4CidrSchema.optional().describe('IPv4 subnet served: DHCP range, router, interface, reservations and records derive from it. Default: the inventory var `lan.subnet`'),
  interface: interfaceName.optional().describe("interface to serve. Default: the host's interface holding an address in `subnet` (read from `ip -j addr` when planning)"),
  bind: z.enum(['dynamic', 'interfaces']).default('dynamic').describe('`bind-dynamic` (follows interfaces that appear later, Linux) or `bind-interfaces`; never the wildcard bind that collides with other :53 listeners'),
  port: z.number().int().min(0).max(65535).default(53).describe('DNS port; 0 turns DNS off (DHCP only)'),
  domain: dnsNameSchema.default('home.arpa').describe('local DNS domain, answered locally and never forwarded. Default: `lan.domain`, else home.arpa (RFC 8375)'),
  range: rangeSchema
    .optional()
    .describe('dynamic DHCP pool. Default: .100–.199 of the subnet (the upper half minus broadcast for subnets smaller than /24)'),
  lease_time: leaseTime.default('12h').describe('lease time of the dynamic pool and reservations'),
  router: z.union([ipv4Schema, z.literal(false)]).optional().describe('DHCP router option. Default: `lan.gateway` when it lies in the subnet, else the subnet\'s first address; false sends none'),
  dns_servers: z.array(ipv4Schema).optional().describe('DHCP DNS-server option. Default: dnsmasq\'s own address (when `port` is not 0)'),
  upstream: z
    .array(upstreamSchema)
    .default([])
    .describe(
      'forwarders for names outside the local domain (`server=` with `no-resolv`). Empty: the host\'s own resolvers (`resolv-file=`: /run/systemd/resolve/resolv.conf when systemd-resolved runs, else /etc/resolv.conf)',
    ),
  forward_zones: z.record(dnsNameSchema, z.array(upstreamSchema).min(1)).default({}).describe('per-domain forwarders (`server=/corp.example/10.9.0.53`)'),
  reservations: z.array(reservationSchema).default([]).describe('MAC reservations besides the inventory\'s (an entry with the MAC or name of an inventory host replaces its derived one)'),
  records: z.record(dnsNameSchema, ipv4Schema).default({}).describe('extra DNS names → address (a name without a dot gets the domain), e.g. `{ api: 10.0.0.10 }`'),
  from_inventory: z.boolean().default(true).describe('derive a reservation for every inventory host with `mac` and an address in the subnet (`ip`/`ansible_host`), and a DNS record for every host with an address in the subnet'),
  inventory_hosts: z
    .array(z.strictObject({ name: z.string(), addresses: z.array(z.string()), mac: z.string().optional() }))
    .default([])
    .describe('derived from the inventory (names, addresses, MACs of all hosts): leave unset'),
  failover_peer: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the inventory host of a second dnsmasq serving the same subnet(s) as a failover pair, each its own part of the range (split them: the plan check refuses overlapping ranges). Without it the plan check refuses two DHCP servers on one subnet',
    ),
  authoritative: z
    .boolean()
    .default(false)
    .describe(
      'declares dnsmasq the only DHCP server of the subnet: `dhcp-authoritative` (NAKs a lease it does not know at once) and the plan check refuses a second DHCP server there. Default false: a router that also serves DHCP keeps its clients',
    ),
  lease_file: z.string().startsWith('/').default(DEFAULT_LEASE_FILE).describe('lease database'),
  log_dhcp: z.boolean().default(false).describe('`log-dhcp`: log every DHCP exchange in detail'),
  extra_options: z.array(z.string().regex(/^[^\n]+$/, 'one option per entry, no newlines')).default([]).describe('extra lines for the main config (checked by `dnsmasq --test` before going live)'),
  segments: z
    .record(z.string(), segmentSchema)
    .superRefine((segments, ctx) => {
      for (const name of Object.keys(segments)) {
        if (!SEGMENT_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected a segment name (its dnsmasq tag): lower-case letters, digits, "-" or "_", starting with a letter' });
      }
    })
    .default({})
    .describe('further DHCP segments served by the same dnsmasq (VLANs, other NICs), by name; the name is their dnsmasq tag (`dhcp-range=set:<name>,…`). The main segment (`subnet`, tag `lan`) stays'),
  pxe: pxeSchema.optional().describe('network boot: TFTP root and boot file per client architecture, on every segment or the ones listed'),
});

export type DnsmasqInput = z.output<typeof dnsmasqVars>;

/**
 * Defaults derived from the inventory: the shared `lan` var and every host's
 * addresses and MAC. The LAN's gateway is the router only of a subnet it lies
 * in (dnsmasq given another subnet sends that subnet's first address).
 */
export function dnsmasqDefaults(host: Host, inventory: Inventory, given: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const lan = lanOf(host);
  const subnet = typeof given.subnet === 'string' ? given.subnet : lan.subnet;
  const gatewayServes = lan.gateway !== undefined && subnet !== undefined && ipv4CidrSchema.safeParse(subnet).success && contains(subnet, lan.gateway);
  return {
    ...(lan.subnet ? { subnet: lan.subnet } : {}),
    ...(lan.domain ? { domain: lan.domain } : {}),
    ...(gatewayServes ? { router: lan.gateway } : {}),
    inventory_hosts: inventoryHostsOnLan(inventory),
  };
}

/** The role's vars schema: parsed, then derived and checked as a whole (output: the effective config). */
export const dnsmasqSchema = dnsmasqVars.transform((v, ctx) => {
  const { config, issues } = deriveConfig(v);
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return config ? { ...config, failoverPeer: v.failover_peer } : z.NEVER;
});

export type DnsmasqVars = z.output<typeof dnsmasqSchema>;

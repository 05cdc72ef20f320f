import { z } from 'zod';
import { ParseError } from '../errors.js';
import type { IpAddress } from '../facts/builtin.js';
import type { Host, Inventory } from '../inventory/types.js';
import { parseVars } from '../inventory/vars-check.js';
import { contains, isCidr, normaliseMac, numberToV4, parseCidr, parseV4Range } from './address.js';
import { isIpv4 } from './host-address.js';

/**
 * The network a host sits on, written once in the inventory (usually
 * group_vars/all) so that roles derive their defaults from it instead of the
 * user typing the same subnet into every role:
 *
 *   lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1, domain: debvisor.local }
 *
 * A host's own address on that network and its NIC's MAC are host vars:
 * `ip` (or `ansible_host` when that is the address on the subnet) and `mac`.
 */

export function isIpv4Cidr(s: string): boolean {
  const [addr, prefix] = s.split('/');
  return prefix !== undefined && isIpv4(addr) && /^\d{1,2}$/.test(prefix) && Number(prefix) <= 32 && isCidr(s);
}

export const ipv4Schema = z.string().refine(isIpv4, 'expected an IPv4 address such as 10.0.0.1');

/** An IPv4 subnet; the value is normalised to its network address ("10.0.0.7/24" → "10.0.0.0/24"). */
export const ipv4CidrSchema = z
  .string()
  .refine(isIpv4Cidr, 'expected an IPv4 subnet such as 10.0.0.0/24')
  .transform((s) => parseCidr(s).text);

/** A MAC address, normalised to lower-case colon form. */
export const macSchema = z.string().transform((s, ctx) => {
  try {
    return normaliseMac(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a MAC address such as aa:bb:cc:dd:ee:01' });
    return z.NEVER;
  }
});

/** One DNS label (RFC 1123 host name part): letters, digits and inner hyphens, at most 63. */
export const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isDnsName(s: string): boolean {
  return s.length <= 253 && s.split('.').every((label) => DNS_LABEL.test(label));
}

export const dnsNameSchema = z.string().refine(isDnsName, 'expected a DNS name: dot-separated labels of letters, digits and inner hyphens (no "_")');

/** An IPv4 range "10.10.0.128-10.10.0.254" (or a CIDR), normalised to "first-last". */
const v4RangeSchema = z.string().transform((s, ctx) => {
  try {
    const r = parseV4Range(s);
    if (!s.includes('-')) return `${numberToV4(r.first)}-${numberToV4(r.last)}`;
    return r.text;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an IPv4 range such as 10.10.0.128-10.10.0.254' });
    return z.NEVER;
  }
});

export const lanSchema = z
  .strictObject({
    subnet: ipv4CidrSchema.optional().describe('the IPv4 subnet of the network, e.g. 10.10.20.0/24'),
    gateway: ipv4Schema.optional().describe("the network's router (default: the subnet's first address)"),
    domain: dnsNameSchema.optional().describe('the local DNS domain, e.g. lab.example'),
    external_dhcp: z
      .union([v4RangeSchema, z.array(v4RangeSchema)], { error: 'expected an IPv4 range such as 10.10.0.128-10.10.0.254, or a list of them' })
      .optional()
      .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]))
      .describe("dynamic ranges of a DHCP server on this network that labwright does not manage (a router's, VMware's NAT): the plan check refuses node addresses, VIPs and pools inside them"),
  })
  .superRefine((lan, ctx) => {
    if (!lan.subnet || !isIpv4Cidr(lan.subnet)) return; // its own error is reported (zod runs this check even then)
    if (lan.gateway && isIpv4(lan.gateway) && !contains(lan.subnet, lan.gateway)) {
      ctx.addIssue({ code: 'custom', path: ['gateway'], message: `the gateway must be an address of lan.subnet ${lan.subnet}` });
    }
    lan.external_dhcp?.forEach((range, i) => {
      if (typeof range !== 'string' || !/^\d+\.\d+\.\d+\.\d+-\d+\.\d+\.\d+\.\d+$/.test(range)) return; // its own error is reported
      const { first, last } = parseV4Range(range);
      if (!(contains(lan.subnet!, numberToV4(first)) && contains(lan.subnet!, numberToV4(last)))) {
        ctx.addIssue({ code: 'custom', path: ['external_dhcp', ...(lan.external_dhcp!.length > 1 ? [i] : [])], message: `range ${range} is not inside lan.subnet ${lan.subnet}` });
      }
    });
  });

export type Lan = z.output<typeof lanSchema>;

/** The host's `lan` var, checked; `{}` when unset. Throws with the host's name when it is malformed. */
export function lanOf(host: Host): Lan {
  return parseVars(lanSchema, host.vars.lan ?? {}, host, 'lan');
}

/** The vars that may hold a host's address, in the order they are tried. */
export const ADDRESS_VARS = ['ip', 'ansible_host', 'address'] as const;

/** The host's IPv4 addresses from its `ip`, `ansible_host`, `address` vars, in that order. */
export function hostAddresses(host: Host): string[] {
  return ADDRESS_VARS.map((key) => host.vars[key]).filter((v): v is string => typeof v === 'string' && isIpv4(v));
}

/**
 * The host's IPv4 address inside `subnet`: the first of its `ip`,
 * `ansible_host`, `address` vars that is an address in the subnet (a host
 * managed over another network carries its address on this one in `ip`).
 */
export function hostAddressIn(host: Host, subnet: string): string | undefined {
  return firstIn(hostAddresses(host), subnet);
}

/** The first of `addresses` inside `subnet`. */
export function firstIn(addresses: readonly string[], subnet: string): string | undefined {
  return addresses.find((a) => isIpv4(a) && contains(subnet, a));
}

function badMac(host: Host, value: unknown): ParseError {
  const hint = typeof value === 'number' ? ' (YAML reads an unquoted MAC made of digits as a base-60 number, as Ansible does: quote it, "52:54:00:00:50:02")' : '';
  return new ParseError(`host ${host.name}: mac: expected a MAC address such as aa:bb:cc:dd:ee:01, got ${JSON.stringify(value)}${hint}`);
}

/** The host's `mac` var, normalised; undefined when unset. Throws with the host's name when malformed. */
export function macOf(host: Host): string | undefined {
  const value = host.vars.mac;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badMac(host, value);
  try {
    return normaliseMac(value);
  } catch {
    throw badMac(host, value);
  }
}

/** A host as other hosts' roles see it on the network: its addresses and MAC. */
export interface HostOnLan {
  name: string;
  /** IPv4 addresses from `ip`, `ansible_host`, `address` (in that order). */
  addresses: string[];
  mac?: string;
}

/** Every inventory host (inventory order) with its addresses and MAC, for roles that derive per-host entries. */
export function inventoryHostsOnLan(inventory: Inventory): HostOnLan[] {
  return [...inventory.hosts.values()].map((host) => {
    const mac = macOf(host);
    return { name: host.name, addresses: hostAddresses(host), ...(mac ? { mac } : {}) };
  });
}

/** The interface (from the `interfaces` fact) holding an IPv4 address inside `subnet`; loopback never. */
export function interfaceInSubnet(ifaces: readonly IpAddress[], subnet: string): string | undefined {
  return ifaces.find((i) => i.ifname !== 'lo' && i.addresses.some((a) => a.family === 'inet' && isIpv4(a.local) && contains(subnet, a.local)))?.ifname;
}

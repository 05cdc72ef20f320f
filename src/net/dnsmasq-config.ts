import { renderTemplate } from '../ops/template.js';
import { sh, type Command } from '../shell/quote.js';
import { contains, netmask, numberToV4, parseCidr, v4Bounds, v4ToNumber } from './address.js';
import { DNS_LABEL, firstIn, isDnsName } from './lan.js';

/**
 * dnsmasq configuration as data and text: the settings a dnsmasq instance is
 * derived from (subnet, range, reservations, records, forwarders), checked as
 * a whole, and the config/reservation/hosts files rendered from them. Shared
 * by the roles that run dnsmasq (`dnsmasq` on Debian, `mac-lab` on a Mac's
 * Homebrew dnsmasq) so that there is one generator of dnsmasq config.
 */

/** The parsed settings `deriveConfig` works from (the dnsmasq role's vars, after zod). */
export interface DnsmasqSettings {
  subnet?: string;
  interface?: string;
  bind: 'dynamic' | 'interfaces';
  port: number;
  domain: string;
  range?: { start: string; end: string };
  lease_time: string;
  router?: string | false;
  dns_servers?: string[];
  upstream: string[];
  forward_zones: Record<string, string[]>;
  reservations: { mac: string; ip: string; name: string }[];
  records: Record<string, string>;
  from_inventory: boolean;
  inventory_hosts: { name: string; addresses: string[]; mac?: string }[];
  authoritative: boolean;
  lease_file: string;
  log_dhcp: boolean;
  extra_options: string[];
}

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
export function deriveConfig(v: DnsmasqSettings): { config?: DnsmasqConfig; issues: Issue[] } {
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

const templates = {
  config: new URL('./dnsmasq-templates/labwright.conf.hbs', import.meta.url),
  dhcpHosts: new URL('./dnsmasq-templates/dhcp-hosts.hbs', import.meta.url),
  hosts: new URL('./dnsmasq-templates/hosts.hbs', import.meta.url),
};

/** Where the rendered config points dnsmasq for the files it re-reads on SIGHUP. */
export interface DnsmasqFiles {
  /** `addn-hosts=`: the DNS records file. */
  hostsFile: string;
  /** `dhcp-hostsfile=`: the reservations file. */
  dhcpHostsFile: string;
}

export interface DnsmasqRenderOptions {
  /** Who manages the files, for their header comment. Default: "role dnsmasq". */
  managedBy?: string;
  /** Forward to the servers in /etc/resolv.conf when `upstream` is empty (no `no-resolv`). Default: false. */
  readResolvConf?: boolean;
  /**
   * Forward to the servers listed in this file when `upstream` is empty
   * (`resolv-file=`, re-read by dnsmasq when it changes): the host's own
   * resolvers instead of refusing every name outside the local domain.
   */
  resolvFile?: string;
}

/** systemd-resolved's list of the real upstream servers (its stub 127.0.0.53 is in /etc/resolv.conf). */
export const RESOLVED_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';
export const RESOLV_CONF = '/etc/resolv.conf';

/** The file naming the host's own resolvers: systemd-resolved's upstream list when it runs, else /etc/resolv.conf. */
export function hostResolvFile(resolvedActive: boolean): string {
  return resolvedActive ? RESOLVED_RESOLV_CONF : RESOLV_CONF;
}

/** The main configuration text for `iface`. */
export function renderDnsmasqConfig(config: DnsmasqConfig, iface: string, files: DnsmasqFiles, options: DnsmasqRenderOptions = {}): string {
  return renderTemplate(templates.config, {
    managedBy: options.managedBy ?? 'role dnsmasq',
    interface: iface,
    bindDynamic: config.bind === 'dynamic',
    port: config.port,
    dns: config.port !== 0,
    domain: config.domain,
    hostsFile: files.hostsFile,
    noResolv: !((options.readResolvConf || options.resolvFile) && config.upstream.length === 0),
    resolvFile: config.upstream.length === 0 ? (options.resolvFile ?? null) : null,
    upstream: config.upstream,
    forwardZones: config.forwardZones,
    subnet: config.subnet,
    rangeStart: config.range.start,
    rangeEnd: config.range.end,
    netmask: config.netmask,
    leaseTime: config.leaseTime,
    router: config.router ?? null,
    dnsServers: config.dnsServers?.join(',') ?? null,
    dhcpHostsFile: files.dhcpHostsFile,
    leaseFile: config.leaseFile,
    authoritative: config.authoritative,
    logDhcp: config.logDhcp,
    extraOptions: config.extraOptions,
  });
}

/** The reservations file (`dhcp-hostsfile`): one `MAC,address,name` line each. */
export function renderDnsmasqDhcpHosts(config: DnsmasqConfig, options: Pick<DnsmasqRenderOptions, 'managedBy'> = {}): string {
  return renderTemplate(templates.dhcpHosts, { managedBy: options.managedBy ?? 'role dnsmasq', reservations: config.reservations });
}

/** The DNS records file (`addn-hosts`). */
export function renderDnsmasqHosts(config: DnsmasqConfig, options: Pick<DnsmasqRenderOptions, 'managedBy'> = {}): string {
  return renderTemplate(templates.hosts, { managedBy: options.managedBy ?? 'role dnsmasq', records: config.records });
}

/**
 * dnsmasq's own parser checks a reservations file too: `dnsmasq --test` does
 * not read a dhcp-hostsfile, so its lines are checked as `dhcp-host=` options
 * of a throw-away config next to the temp file.
 */
export function dnsmasqReservationsCheck(tmp: string, dnsmasq = 'dnsmasq'): Command {
  const check = `${tmp}.check`;
  return sh`(if sed -e '/^#/d' -e '/^$/d' -e 's/^/dhcp-host=/' ${tmp} > ${check} && ${dnsmasq} --test -C ${check}; then rc=0; else rc=$?; fi; rm -f ${check}; exit $rc)`;
}

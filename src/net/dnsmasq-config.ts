import { renderTemplate } from '../ops/template.js';
import { sh, type Command } from '../shell/quote.js';
import { cidrsOverlap, contains, netmask, numberToV4, parseCidr, v4Bounds, v4ToNumber } from './address.js';
import { derivePxe, PXE_TAGS, type PxeConfig, type PxeSettings } from './dnsmasq-pxe.js';
import { DNS_LABEL, firstIn, isDnsName } from './lan.js';

/**
 * dnsmasq configuration as data and text: the settings a dnsmasq instance is
 * derived from (subnet, range, reservations, records, forwarders), checked as
 * a whole, and the config/reservation/hosts files rendered from them. Shared
 * by the roles that run dnsmasq (`dnsmasq` on Debian, `mac-lab` on a Mac's
 * Homebrew dnsmasq) so that there is one generator of dnsmasq config.
 */

/** A further DHCP segment (a subnet on another interface or VLAN), tagged with its name. */
export interface SegmentSettings {
  subnet: string;
  interface?: string;
  range?: { start: string; end: string };
  router?: string | false;
  dns_servers?: string[];
  domain?: string;
  lease_time?: string;
  reservations: { mac: string; ip: string; name: string }[];
  records: Record<string, string>;
}

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
  /** Further segments by name (the name is their dnsmasq tag); the main one is `lan`. */
  segments?: Record<string, SegmentSettings>;
  pxe?: PxeSettings;
}

export interface Reservation {
  mac: string;
  ip: string;
  name: string;
  /** Where it comes from, for messages. */
  source: string;
}

/** A further segment as rendered: its own range and options under its tag. */
export interface SegmentConfig {
  name: string;
  subnet: string;
  netmask: string;
  interface?: string;
  range: { start: string; end: string };
  leaseTime: string;
  router?: string;
  dnsServers?: string[];
  /** The segment's own DNS subzone (`domain=<zone>,<subnet>`), when it has one. */
  domain?: string;
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
  /** Reservations of every segment (one dhcp-hostsfile: the address says the segment). */
  reservations: Reservation[];
  /** Hosts-file lines: address and names (FQDN first). */
  records: { ip: string; names: string[] }[];
  authoritative: boolean;
  leaseFile: string;
  logDhcp: boolean;
  extraOptions: string[];
  /** The segments besides the main one (tag `lan`). */
  segments: SegmentConfig[];
  pxe?: PxeConfig;
}

/** The main segment's dnsmasq tag. */
export const MAIN_SEGMENT = 'lan';

/** The default dynamic pool: .100–.199 of a /24 or larger, else the upper half of the subnet minus broadcast. */
export function defaultRange(subnet: string): { start: string; end: string } {
  const { first, last } = v4Bounds(subnet);
  const size = last - first + 1;
  if (size >= 256) return { start: numberToV4(first + 100), end: numberToV4(first + 199) };
  if (size < 8) throw new RangeError(`subnet ${subnet} is too small for a default dynamic range: set dnsmasq.range`);
  return { start: numberToV4(first + size / 2), end: numberToV4(last - 1) };
}

type Issue = { path: (string | number)[]; message: string };

/**
 * A name as a record: short names get the domain; the FQDN comes first (it is
 * what PTR answers). In a subzone only the FQDN: tenants may share short names.
 */
function recordNames(name: string, domain: string, short = true): string[] {
  if (name.includes('.')) return [name];
  return short ? [`${name}.${domain}`, name] : [`${name}.${domain}`];
}

/** An inventory host name as a DNS label: `node1` or `node1.<domain>`; undefined if it is neither. */
function inventoryLabel(name: string, domain: string): string | undefined {
  if (DNS_LABEL.test(name)) return name;
  if (name.endsWith(`.${domain}`) && DNS_LABEL.test(name.slice(0, -domain.length - 1))) return name.slice(0, -domain.length - 1);
  return undefined;
}

/** One segment being derived: the main one (path []) or `segments.<name>`. */
interface Segment {
  name: string;
  path: (string | number)[];
  /** How the vars are named in messages: "dnsmasq" or "dnsmasq.segments.<name>". */
  key: string;
  subnet: string;
  domain: string;
  subzone: boolean;
  range: { start: string; end: string };
  router?: string;
  inRange: (ip: string) => boolean;
  rangeText: string;
  explicit: { mac: string; ip: string; name: string }[];
  records: Record<string, string>;
}

/** Range and router of one segment, checked against its subnet. */
function deriveSegment(
  s: { name: string; path: (string | number)[]; subnet: string; range?: { start: string; end: string }; router?: string | false; domain: string; subzone: boolean },
  explicit: Segment['explicit'],
  records: Segment['records'],
  issues: Issue[],
): Segment | undefined {
  const cidr = parseCidr(s.subnet);
  const bounds = v4Bounds(cidr);
  const inside = (ip: string) => contains(cidr, ip) && v4ToNumber(ip) !== bounds.first && v4ToNumber(ip) !== bounds.last;
  const key = s.path.length === 0 ? 'dnsmasq' : `dnsmasq.${s.path.join('.')}`;
  let range: { start: string; end: string };
  try {
    range = s.range ?? defaultRange(s.subnet);
  } catch (e) {
    issues.push({ path: [...s.path, 'range'], message: (e as Error).message.replace('dnsmasq.range', `${key}.range`) });
    return undefined;
  }
  for (const end of ['start', 'end'] as const) {
    if (!inside(range[end])) issues.push({ path: [...s.path, 'range', end], message: `${range[end]} is not a host address of the subnet ${s.subnet}` });
  }
  const lo = v4ToNumber(range.start);
  const hi = v4ToNumber(range.end);
  if (hi < lo) issues.push({ path: [...s.path, 'range'], message: `range end ${range.end} comes before its start ${range.start}` });
  const rangeText = `${range.start}-${range.end}`;
  const inRange = (ip: string) => v4ToNumber(ip) >= lo && v4ToNumber(ip) <= hi;
  let router: string | undefined;
  if (s.router !== false) {
    router = s.router ?? numberToV4(bounds.first + 1);
    if (!inside(router)) issues.push({ path: [...s.path, 'router'], message: `router ${router} is not a host address of the subnet ${s.subnet}` });
    else if (inRange(router)) issues.push({ path: [...s.path, 'router'], message: `router ${router} lies inside the dynamic range ${rangeText}: a client could be given the router's address` });
  }
  return { name: s.name, path: s.path, key, subnet: s.subnet, domain: s.domain, subzone: s.subzone, range, router, inRange, rangeText, explicit, records };
}

/** The main segment and the further ones, derived; overlapping subnets refused. */
function deriveSegments(v: DnsmasqSettings & { subnet: string }, issues: Issue[]): Segment[] {
  const segments: Segment[] = [];
  const main = deriveSegment({ name: MAIN_SEGMENT, path: [], subnet: v.subnet, range: v.range, router: v.router, domain: v.domain, subzone: false }, v.reservations, v.records, issues);
  if (main) segments.push(main);
  for (const [name, s] of Object.entries(v.segments ?? {})) {
    const path = ['segments', name];
    if (name === MAIN_SEGMENT || PXE_TAGS.includes(name)) {
      issues.push({ path, message: `"${name}" is a tag the role sets itself (${[MAIN_SEGMENT, ...PXE_TAGS].join(', ')}): name the segment otherwise` });
      continue;
    }
    const other = [{ name: MAIN_SEGMENT, subnet: v.subnet }, ...Object.entries(v.segments ?? {}).map(([n, o]) => ({ name: n, subnet: o.subnet }))].find(
      (o) => o.name !== name && cidrsOverlap(o.subnet, s.subnet),
    );
    if (other && (other.name === MAIN_SEGMENT || other.name < name)) {
      const where = other.name === MAIN_SEGMENT ? `the main segment's subnet ${other.subnet} (dnsmasq.subnet or lan.subnet)` : `segment ${other.name}'s subnet ${other.subnet}`;
      issues.push({ path: [...path, 'subnet'], message: `${s.subnet} overlaps ${where}: each segment needs a subnet of its own` });
    }
    const domain = s.domain ?? v.domain;
    const segment = deriveSegment({ name, path, subnet: s.subnet, range: s.range, router: s.router, domain, subzone: domain !== v.domain }, s.reservations, s.records, issues);
    if (segment) segments.push(segment);
  }
  return segments;
}

/**
 * Derives the effective configuration from the parsed vars and checks it as
 * a whole: ranges inside their subnets, no reservation inside a dynamic range,
 * no address or MAC reserved twice, segments on subnets of their own.
 */
export function deriveConfig(v: DnsmasqSettings): { config?: DnsmasqConfig; issues: Issue[] } {
  const issues: Issue[] = [];
  if (!v.subnet) {
    return { issues: [{ path: ['subnet'], message: 'no subnet: set dnsmasq.subnet, or lan.subnet once for the whole inventory (group_vars/all)' }] };
  }
  const segments = deriveSegments({ ...v, subnet: v.subnet }, issues);
  if (segments[0]?.name !== MAIN_SEGMENT) return { issues }; // the main segment's range could not be derived
  const segmentOf = (ip: string) => segments.find((s) => contains(s.subnet, ip));

  // Reservations: derived from the inventory, then the explicit ones (which replace a derived one with the same MAC, or name on the segment).
  const reservations: { r: Reservation; segment: Segment }[] = [];
  const inventoryRecords: { name: string; ip: string; segment: Segment }[] = [];
  if (v.from_inventory) {
    for (const h of v.inventory_hosts) {
      for (const segment of segments) {
        const ip = firstIn(h.addresses, segment.subnet);
        if (!ip) continue;
        const label = inventoryLabel(h.name, v.domain) ?? inventoryLabel(h.name, segment.domain);
        if (!label) {
          issues.push({
            path: ['inventory_hosts'],
            message: `inventory host "${h.name}" has an address in ${segment.subnet} but its name is not a DNS label (nor one followed by .${segment.domain}): rename it or set dnsmasq.from_inventory: false`,
          });
          continue;
        }
        inventoryRecords.push({ name: label, ip, segment });
        // the MAC belongs to the host's first address on a served segment (`ip` before `ansible_host`)
        if (h.mac && ip === h.addresses.find((a) => segmentOf(a))) reservations.push({ r: { mac: h.mac, ip, name: label, source: `inventory host ${h.name}` }, segment });
      }
    }
  }
  for (const segment of segments) {
    segment.explicit.forEach((r, i) => {
      const replaced = reservations.findIndex(({ r: d, segment: s }) => d.source.startsWith('inventory') && (d.mac === r.mac || (d.name === r.name && s === segment)));
      if (replaced >= 0) reservations.splice(replaced, 1);
      if (!contains(segment.subnet, r.ip)) {
        issues.push({ path: [...segment.path, 'reservations', i, 'ip'], message: `reservation ${r.name} (${r.ip}) is outside the subnet ${segment.subnet}: dnsmasq would never hand it out` });
      }
      reservations.push({ r: { ...r, source: `${segment.key}.reservations[${i}]` }, segment });
    });
  }
  const seen = { mac: new Map<string, Reservation>(), ip: new Map<string, Reservation>(), name: new Map<string, Reservation>() };
  for (const { r, segment } of reservations) {
    if (segment.inRange(r.ip)) {
      issues.push({
        path: [...segment.path, 'reservations'],
        message: `reservation ${r.name} (${r.ip}, ${r.source}) lies inside the dynamic range ${segment.rangeText}: move the reservation or the range`,
      });
    }
    for (const key of ['mac', 'ip', 'name'] as const) {
      const id = key === 'name' ? `${r.name}.${segment.domain}` : r[key];
      const other = seen[key].get(id);
      if (other) issues.push({ path: [...segment.path, 'reservations'], message: `${key} ${r[key]} is reserved twice: ${other.name} (${other.source}) and ${r.name} (${r.source})` });
      else seen[key].set(id, r);
    }
  }

  // DNS records: reservations, inventory hosts, then the explicit records; one address per name.
  const byName = new Map<string, { ip: string; source: string }>();
  const records: { ip: string; names: string[] }[] = [];
  const addRecord = (name: string, ip: string, source: string, segment: Segment, path: (string | number)[]) => {
    const fqdn = name.includes('.') ? name : `${name}.${segment.domain}`;
    const other = byName.get(fqdn);
    if (other && other.ip !== ip) {
      issues.push({ path, message: `DNS name ${fqdn} would point to ${other.ip} (${other.source}) and ${ip} (${source}): give one of them another name` });
      return;
    }
    if (!other) byName.set(fqdn, { ip, source });
    if (!records.some((rec) => rec.names.includes(fqdn))) records.push({ ip, names: recordNames(name, segment.domain, !segment.subzone) });
  };
  for (const { r, segment } of reservations) addRecord(r.name, r.ip, r.source, segment, [...segment.path, 'reservations']);
  for (const h of inventoryRecords) {
    if (!reservations.some(({ r, segment }) => r.name === h.name && segment === h.segment)) addRecord(h.name, h.ip, `inventory host ${h.name}`, h.segment, ['inventory_hosts']);
  }
  for (const segment of segments) {
    for (const [name, ip] of Object.entries(segment.records)) {
      if (!isDnsName(name)) continue; // the schema already reported it
      addRecord(name, ip, `${segment.key}.records.${name}`, segment, [...segment.path, 'records', name]);
    }
  }

  const pxe = v.pxe ? derivePxe(v.pxe, segments.map((s) => s.name)) : undefined;
  issues.push(...(pxe?.issues ?? []));
  if (issues.length > 0) return { issues };
  const [main, ...further] = segments;
  return {
    issues,
    config: {
      subnet: main.subnet,
      netmask: netmask(main.subnet),
      interface: v.interface,
      bind: v.bind,
      port: v.port,
      domain: v.domain,
      range: main.range,
      leaseTime: v.lease_time,
      router: main.router,
      dnsServers: v.dns_servers,
      upstream: v.upstream,
      forwardZones: Object.entries(v.forward_zones).flatMap(([zone, servers]) => servers.map((server) => ({ zone, server }))),
      reservations: reservations.map(({ r }) => r),
      records,
      authoritative: v.authoritative,
      leaseFile: v.lease_file,
      logDhcp: v.log_dhcp,
      extraOptions: v.extra_options,
      segments: further.map((s) => {
        const given = v.segments![s.name]!;
        return {
          name: s.name,
          subnet: s.subnet,
          netmask: netmask(s.subnet),
          ...(given.interface ? { interface: given.interface } : {}),
          range: s.range,
          leaseTime: given.lease_time ?? v.lease_time,
          ...(s.router ? { router: s.router } : {}),
          ...(given.dns_servers ? { dnsServers: given.dns_servers } : {}),
          ...(s.subzone ? { domain: s.domain } : {}),
        };
      }),
      ...(pxe?.config ? { pxe: pxe.config } : {}),
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

/** What the template needs of a segment's DHCP (the main one's or a further one's). */
function dhcpRangeView(s: Pick<SegmentConfig, 'subnet' | 'netmask' | 'range' | 'leaseTime' | 'router' | 'dnsServers'>) {
  return {
    subnet: s.subnet,
    rangeStart: s.range.start,
    rangeEnd: s.range.end,
    netmask: s.netmask,
    leaseTime: s.leaseTime,
    router: s.router ?? null,
    dnsServers: s.dnsServers?.join(',') ?? null,
  };
}

/** The main configuration text, serving `iface` (the interfaces of every segment: the main one's first). */
export function renderDnsmasqConfig(config: DnsmasqConfig, iface: string | readonly string[], files: DnsmasqFiles, options: DnsmasqRenderOptions = {}): string {
  const interfaces = [...new Set(typeof iface === 'string' ? [iface] : iface)];
  return renderTemplate(templates.config, {
    managedBy: options.managedBy ?? 'role dnsmasq',
    interfaces,
    interfaceList: interfaces.join(', '),
    bindDynamic: config.bind === 'dynamic',
    port: config.port,
    dns: config.port !== 0,
    domain: config.domain,
    hostsFile: files.hostsFile,
    noResolv: !((options.readResolvConf || options.resolvFile) && config.upstream.length === 0),
    resolvFile: config.upstream.length === 0 ? (options.resolvFile ?? null) : null,
    upstream: config.upstream,
    forwardZones: config.forwardZones,
    ...dhcpRangeView(config),
    dhcpHostsFile: files.dhcpHostsFile,
    leaseFile: config.leaseFile,
    authoritative: config.authoritative,
    logDhcp: config.logDhcp,
    extraOptions: config.extraOptions,
    subzones: config.segments.filter((s) => s.domain).map((s) => ({ domain: s.domain, subnet: s.subnet })),
    segments: config.segments.map((s) => ({ name: s.name, ...dhcpRangeView(s) })),
    pxe: config.pxe
      ? {
          tftpRoot: config.pxe.tftpRoot ?? null,
          matches: config.pxe.matches,
          boots: config.pxe.boots.map((b) => ({ tags: b.tags.map((t) => `tag:${t}`).join(','), file: b.file, server: b.server ?? null })),
        }
      : null,
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

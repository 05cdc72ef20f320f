import { defineRole } from '../../src/engine/definitions.js';
import { interfaces, unitState, type IpAddress } from '../../src/facts/builtin.js';
import { interfaceInSubnet } from '../../src/net/lan.js';
import { factFile } from '../../src/ops/fact-file.js';
import { dnsmasqReservationsCheck, hostResolvFile, renderDnsmasqConfig, renderDnsmasqDhcpHosts, renderDnsmasqHosts } from '../../src/net/dnsmasq-config.js';
import { apt, directory, file, service } from '../../src/ops/index.js';
import { sh, type Command } from '../../src/shell/quote.js';
import { CONFIG_PATH, DATA_DIR, DHCP_HOSTS_PATH, dnsmasqDefaults, dnsmasqSchema, HOSTS_PATH, type DnsmasqConfig } from './vars.js';

export { CONFIG_PATH, DATA_DIR, DHCP_HOSTS_PATH, HOSTS_PATH } from './vars.js';

/** The interface of one segment: the configured one, else the one holding an address in its subnet. */
function segmentInterface(segment: { interface?: string; subnet: string }, ifaces: readonly IpAddress[], hostName: string, key: string): string {
  if (segment.interface) return segment.interface;
  const found = interfaceInSubnet(ifaces, segment.subnet);
  if (found) return found;
  throw new Error(
    `no interface of ${hostName} has an address in ${segment.subnet} (it has ${ifaces
      .map((i) => `${i.ifname} ${i.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`).join(' ') || '-'}`)
      .join(', ')}): give the host an address there or set ${key}.interface`,
  );
}

/** The interfaces to serve: the main segment's, then each further segment's. */
export function serveInterfaces(config: DnsmasqConfig, ifaces: readonly IpAddress[], hostName: string): string[] {
  return [segmentInterface(config, ifaces, hostName, 'dnsmasq'), ...config.segments.map((s) => segmentInterface(s, ifaces, hostName, `dnsmasq.segments.${s.name}`))];
}

/**
 * The main configuration text (exported for the unit tests). `resolvedActive`:
 * systemd-resolved runs on the host, so with no `upstream` dnsmasq reads its
 * list of real upstream servers, not /etc/resolv.conf's stub 127.0.0.53 (which
 * could forward back to dnsmasq).
 */
export function renderConfig(config: DnsmasqConfig, iface: string | readonly string[], resolvedActive = false): string {
  return renderDnsmasqConfig(config, iface, { hostsFile: HOSTS_PATH, dhcpHostsFile: DHCP_HOSTS_PATH }, { resolvFile: hostResolvFile(resolvedActive) });
}

export function renderDhcpHosts(config: DnsmasqConfig): string {
  return renderDnsmasqDhcpHosts(config);
}

export function renderHosts(config: DnsmasqConfig): string {
  return renderDnsmasqHosts(config);
}

/** `dnsmasq --test` of the reservation lines (see dnsmasqReservationsCheck). */
export function checkReservations(tmp: string): Command {
  return dnsmasqReservationsCheck(tmp);
}

const root = { owner: 'root', group: 'root', mode: '0644' } as const;

/**
 * dnsmasq as the segment's DHCP and DNS server: dynamic range, MAC
 * reservations and DNS records derived from the inventory, forwarders with
 * `no-resolv` (else the host's own resolvers), bound to one interface; not
 * authoritative unless the inventory declares it the subnet's only DHCP server. Reservations and records live in files
 * dnsmasq re-reads on SIGHUP (reload, no restart); the main config is
 * validated with `dnsmasq --test` and applied with a restart.
 */
export const dnsmasq = defineRole({
  name: 'dnsmasq',
  vars: dnsmasqSchema,
  defaults: dnsmasqDefaults,
  tasks: ({ task }) => [
    // The binary first (no service): the config is written and validated before the
    // `dnsmasq` package starts the daemon, so it never starts with the wildcard default.
    task('dnsmasq binary', () => apt({ packages: ['dnsmasq-base'] }), { tags: ['dnsmasq:install'] }),
    task('data directory', () => directory({ path: DATA_DIR, owner: 'root', group: 'root', mode: '0755' }), { tags: ['dnsmasq:config'] }),
    task(
      'reservations',
      ({ vars }) => file({ path: DHCP_HOSTS_PATH, content: renderDhcpHosts(vars), ...root, validate: checkReservations }),
      { notify: ['reload dnsmasq'], tags: ['dnsmasq:reservations'] },
    ),
    task('TFTP root', ({ vars }) => directory({ path: vars.pxe!.tftpRoot!, owner: 'root', group: 'root', mode: '0755' }), {
      when: ({ vars }) => vars.pxe?.tftpRoot !== undefined,
      tags: ['dnsmasq:pxe'],
    }),
    task('DNS records', ({ vars }) => file({ path: HOSTS_PATH, content: renderHosts(vars), ...root }), {
      notify: ['reload dnsmasq'],
      tags: ['dnsmasq:records'],
    }),
    task(
      'main config',
      ({ vars, host }) =>
        factFile({
          label: `template ${CONFIG_PATH}`,
          path: CONFIG_PATH,
          ...root,
          facts: [interfaces(), unitState('systemd-resolved.service')],
          render: (ifaces, resolved) => renderConfig(vars, serveInterfaces(vars, ifaces, host.name), resolved.active === 'active'),
          validate: (tmp) => sh`dnsmasq --test -C ${tmp}`,
        }),
      { notify: ['restart dnsmasq'], tags: ['dnsmasq:config'] },
    ),
    task('dnsmasq service package', () => apt({ packages: ['dnsmasq'] }), { tags: ['dnsmasq:install'] }),
    task('dnsmasq running and enabled', () => service({ name: 'dnsmasq', state: 'started', enabled: true }), { tags: ['dnsmasq:service'] }),
  ],
  // For the plan check: each segment (a network), its dynamic range (with its subnet, and whether dnsmasq is declared
  // the only DHCP server there) and each reservation with its MAC.
  addressPlan: ({ host, vars }) => {
    const by = `dnsmasq on ${host.name}`;
    // the server (and its declared failover peer) with every range: two servers on one subnet must be a pair with split ranges
    const server = { host: host.name, ...(vars.failoverPeer ? { peer: vars.failoverPeer } : {}), ...(vars.authoritative ? { exclusive: 'dnsmasq.authoritative: true' } : {}) };
    return [
      { kind: 'range', by, range: `${vars.range.start}-${vars.range.end}`, purpose: 'dhcp', what: 'dynamic DHCP range', subnet: vars.subnet, ...server },
      ...vars.segments.flatMap((s) => [
        { kind: 'network' as const, by, cidr: s.subnet, purpose: 'lan' as const, what: `DHCP segment ${s.name}` },
        { kind: 'range' as const, by, range: `${s.range.start}-${s.range.end}`, purpose: 'dhcp' as const, what: `dynamic DHCP range of segment ${s.name}`, subnet: s.subnet, ...server },
      ]),
      ...vars.reservations.map((r) => ({ kind: 'address' as const, by, ip: r.ip, purpose: 'reservation' as const, what: r.name, host: r.name, mac: r.mac })),
    ];
  },
  handlers: ({ handler }) => [
    // Debian's unit: ExecReload=/bin/kill -HUP $MAINPID. dnsmasq re-reads the
    // dhcp-hostsfile and addn-hosts (and clears its cache); the process stays.
    handler('reload dnsmasq', () => service({ name: 'dnsmasq', state: 'reloaded' })),
    handler('restart dnsmasq', () => service({ name: 'dnsmasq', state: 'restarted' })),
  ],
});

export default dnsmasq;

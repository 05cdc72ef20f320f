import { posix } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Host } from '../../src/inventory/types.js';
import { numberToV4, v4ToNumber } from '../../src/net/address.js';
import { deriveConfig, type DnsmasqConfig } from '../../src/net/dnsmasq-config.js';
import { DNS_LABEL, dnsNameSchema, ipv4CidrSchema, ipv4Schema, macSchema } from '../../src/net/lan.js';
import { SEED_004_VMS, vmLabPlan, type VmLabPlan } from '../../src/net/vm-lab.js';
import type { Wait } from './dance.js';
import type { VmnetWant } from './platform.js';

const upstreamSchema = z
  .string()
  .refine((s) => {
    const [ip, port, ...rest] = s.split('#');
    return rest.length === 0 && ipaddr.isValid(ip!) && (port === undefined || /^\d{1,5}$/.test(port));
  }, 'expected an upstream DNS server: an IP address, optionally with #port (1.1.1.1, 10.0.0.53#5353)');

const vmSchema = z.strictObject({
  name: z.string().regex(DNS_LABEL, 'expected a host name: one DNS label (letters, digits, inner hyphens)').describe('host name of the VM: its reservation, DNS record and inventory name'),
  mac: macSchema.optional().describe("the VM NIC's MAC (QEMU `mac=`); default: derived from the name (52:54:00:…), stable across subnets"),
  groups: z.array(z.string().min(1)).optional().describe('inventory groups of the VM in the emitted inventory'),
});

const hostNumber = z.number().int().min(1).max(16_777_214);

export const macLabVars = z.strictObject({
  state: z.enum(['present', 'absent']).default('present').describe('`absent` takes the lab network down: socket_vmnet unloaded, the fragment and data files removed, dnsmasq restarted with the user\'s own config'),
  platform: z.enum(['macos', 'linux']).default('macos').describe('`macos`: Homebrew dnsmasq + socket_vmnet under launchd; `linux`: the same dance with a systemd bridge unit and Debian\'s dnsmasq (what the lab test runs)'),
  subnet: ipv4CidrSchema.default('192.168.200.0/24').describe('THE one variable: the lab network. The gateway, every VM\'s address, the VIP, the DHCP pool, socket_vmnet\'s arguments, the dnsmasq fragment and the emitted inventory derive from it. Default: 192.168.200.0/24 (seed 004\'s, clear of the ISPs\' 192.168.1.0/24)'),
  gateway_host: hostNumber.default(1).describe('host number of the Mac\'s address on the bridge (vmnet\'s `--vmnet-gateway`; the VMs\' router)'),
  first_vm_host: hostNumber.default(3).describe('host number of the first VM; the others follow in list order (seed 004: .3–.9)'),
  vip_host: hostNumber.default(11).describe('host number of the VIP (the API load balancer on the gateway VM)'),
  vms: z.array(vmSchema).min(1).default(SEED_004_VMS.map((v) => ({ ...v, groups: [...(v.groups ?? [])] }))).describe('the VMs, in address order (default: seed 004\'s gateway, control0-2, worker0-2)'),
  range: z.strictObject({ start: ipv4Schema.describe('first address of the pool'), end: ipv4Schema.describe('last address of the pool') }).optional().describe('dynamic DHCP pool for unknown clients (default: .100–.199 of a /24, else the upper half of the subnet)'),
  domain: dnsNameSchema.default('home.arpa').describe('the VMs\' DNS domain (answered locally by dnsmasq)'),
  vip_name: z.string().regex(DNS_LABEL, 'expected one DNS label').default('api').describe('DNS name of the VIP (`api.<domain>`)'),
  dns: z.boolean().default(true).describe('dnsmasq answers DNS on the gateway (bound to it alone); false: DHCP only (port 0) and the VMs ask the gateway\'s own resolver'),
  upstream: z.array(upstreamSchema).default([]).describe('forwarders for other names; empty: the servers in the host\'s /etc/resolv.conf (which macOS keeps current)'),
  lease_time: z.string().regex(/^(\d+[smhdw]?|infinite)$/, 'expected a lease time such as 12h, 30m, 3600 or infinite').default('12h').describe('DHCP lease time'),
  log_dhcp: z.boolean().default(false).describe('`log-dhcp` in the fragment'),
  extra_options: z.array(z.string().regex(/^[^\n]+$/, 'one option per entry, no newlines')).default([]).describe('extra lines for the fragment (checked with `dnsmasq --test` together with your dnsmasq.conf before going live)'),
  bridge: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'expected an interface name such as bridge100').optional().describe('the bridge dnsmasq binds (`interface=`). Default: macOS — the interface holding the gateway once socket_vmnet is up (bridge100, bridge101, …); Linux — br-lab, which the bridge unit creates'),
  vmnet_dhcp: z.enum(['auto', 'disable', 'limit']).default('auto').describe('vmnet\'s own DHCP (bootpd): `auto` turns it off where macOS allows (26+ with a socket_vmnet that has --vmnet-disable-dhcp), else cuts its pool to the address after the gateway and warns; `disable`/`limit` force either'),
  socket_vmnet: z
    .strictObject({
      binary: z.string().startsWith('/').optional().describe('socket_vmnet binary (default: `$(brew --prefix)/opt/socket_vmnet/bin/socket_vmnet`; upstream recommends a root-owned /opt/socket_vmnet/bin/socket_vmnet)'),
      socket: z.string().startsWith('/').default('/var/run/socket_vmnet').describe('the socket QEMU connects to through socket_vmnet_client'),
    })
    .prefault({})
    .describe('socket_vmnet, run by launchd as `io.github.lima-vm.socket_vmnet`'),
  homebrew_prefix: z.string().startsWith('/').optional().describe('Homebrew\'s prefix; default: what `brew --prefix` says on the host (a fact)'),
  packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9@+._-]*$/, 'expected a Homebrew formula name')).default(['dnsmasq', 'socket_vmnet']).describe('Homebrew formulae installed (as the connecting user) when missing; add `qemu` to have it too'),
  bridge_wait_seconds: z.number().int().min(1).max(600).default(30).describe('how long to wait for the bridge to hold the gateway before giving up'),
  dnsmasq_wait_seconds: z.number().int().min(1).max(600).default(15).describe('how long to wait for dnsmasq to hold the gateway after a restart'),
  poll_interval_ms: z.number().int().min(10).max(10_000).default(1000).describe('pause between two checks of a wait'),
  state_dir: z.string().startsWith('/').default('/var/lib/labwright/mac-lab').describe('where the dance records the bridge dnsmasq serves and the loaded socket_vmnet definition. Default: `labwright_state_dir`/mac-lab'),
  vm_user: z.string().min(1).optional().describe('`ansible_user` of the VMs in the emitted inventory'),
});

export type MacLabInput = z.output<typeof macLabVars>;

/** Everything the role works from, derived from the vars and checked as a whole. */
export interface MacLab {
  state: 'present' | 'absent';
  platform: 'macos' | 'linux';
  plan: VmLabPlan;
  domain: string;
  vipName: string;
  dns: boolean;
  /** dnsmasq's settings for the fragment (the lease file is set per platform when rendering). */
  dnsmasq: DnsmasqConfig;
  bridge?: string;
  vmnet: VmnetWant;
  homebrewPrefix?: string;
  packages: string[];
  stateDir: string;
  bridgeWait: Wait;
  dnsmasqWait: Wait;
  vmUser?: string;
}

/** Defaults from the host: where labwright keeps its state on it. */
export function macLabDefaults(host: Host): Record<string, unknown> {
  const dir = host.vars.labwright_state_dir;
  return typeof dir === 'string' && dir ? { state_dir: posix.join(dir, 'mac-lab') } : {};
}

function waitOf(secondsTotal: number, intervalMs: number): Wait {
  return { attempts: Math.max(1, Math.ceil((secondsTotal * 1000) / intervalMs)), intervalMs };
}

type Issue = { path: (string | number)[]; message: string };

/** The derived lab; issues name the mac_lab key they come from. */
export function deriveMacLab(v: MacLabInput): { lab?: MacLab; issues: Issue[] } {
  const { plan, issues } = vmLabPlan({
    subnet: v.subnet,
    gatewayHost: v.gateway_host,
    firstVmHost: v.first_vm_host,
    vipHost: v.vip_host,
    vms: v.vms,
    range: v.range,
  });
  if (!plan) return { issues };
  // Where vmnet's bootpd cannot be turned off it keeps the address after the gateway: nobody else may have it.
  const bootpd = numberToV4(v4ToNumber(plan.gateway) + 1);
  if (v.platform === 'macos' && v.vmnet_dhcp !== 'disable') {
    const users = [
      ...plan.vms.filter((vm) => vm.ip === bootpd).map((vm) => `VM ${vm.name}`),
      ...(plan.vip === bootpd ? ['the VIP'] : []),
      ...(v4ToNumber(plan.range.start) <= v4ToNumber(bootpd) && v4ToNumber(bootpd) <= v4ToNumber(plan.range.end) ? ['the DHCP pool'] : []),
    ];
    if (users.length > 0) {
      return {
        issues: [
          {
            path: ['first_vm_host'],
            message: `${bootpd} (the address after the gateway) is what vmnet's own DHCP server keeps where it cannot be turned off, but ${users.join(' and ')} would use it too: start the VMs, VIP and pool after it, or set vmnet_dhcp: disable (macOS 26+)`,
          },
        ],
      };
    }
  }
  const derived = deriveConfig({
    subnet: plan.subnet,
    bind: 'interfaces',
    port: v.dns ? 53 : 0,
    domain: v.domain,
    range: plan.range,
    lease_time: v.lease_time,
    router: plan.gateway,
    // DHCP only: the VMs ask the gateway's own resolver (vmnet's DNS proxy on a Mac)
    ...(v.dns ? {} : { dns_servers: [plan.gateway] }),
    upstream: v.upstream,
    forward_zones: {},
    reservations: plan.vms.map(({ mac, ip, name }) => ({ mac, ip, name })),
    records: { [v.vip_name]: plan.vip },
    from_inventory: false,
    inventory_hosts: [],
    authoritative: true,
    lease_file: '/dev/null/set-per-platform',
    log_dhcp: v.log_dhcp,
    extra_options: v.extra_options,
  });
  if (!derived.config) return { issues: derived.issues.map((i) => ({ path: ['vms'], message: `dnsmasq fragment: ${i.message}` })) };
  const wait = (s: number) => waitOf(s, v.poll_interval_ms);
  return {
    issues: [],
    lab: {
      state: v.state,
      platform: v.platform,
      plan,
      domain: v.domain,
      vipName: v.vip_name,
      dns: v.dns,
      dnsmasq: derived.config,
      ...(v.bridge ? { bridge: v.bridge } : {}),
      vmnet: {
        gateway: plan.gateway,
        netmask: plan.netmask,
        prefix: plan.prefix,
        // vmnet's bootpd pool starts after the gateway; when it cannot be turned off it keeps just that one address
        dhcpEnd: bootpd,
        vmnetDhcp: v.vmnet_dhcp,
        socket: v.socket_vmnet.socket,
        ...(v.socket_vmnet.binary ? { binary: v.socket_vmnet.binary } : {}),
        ...(v.bridge ? { bridge: v.bridge } : {}),
      },
      ...(v.homebrew_prefix ? { homebrewPrefix: v.homebrew_prefix } : {}),
      packages: v.packages,
      stateDir: v.state_dir,
      bridgeWait: wait(v.bridge_wait_seconds),
      dnsmasqWait: wait(v.dnsmasq_wait_seconds),
      ...(v.vm_user ? { vmUser: v.vm_user } : {}),
    },
  };
}

/** The role's schema: the vars, parsed, then derived and checked as a whole (output: the lab). */
export const macLabSchema = macLabVars.transform((v, ctx) => {
  const { lab, issues } = deriveMacLab(v);
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return lab ?? z.NEVER;
});

import { createHash } from 'node:crypto';
import { cidrsOverlap, contains, netmask, numberToV4, parseCidr, v4Bounds, v4ToNumber } from './address.js';
import { defaultRange } from './dnsmasq-config.js';
import { DNS_LABEL } from './lan.js';

/**
 * The address plan of a lab of VMs on one host network (seed 004: a Mac's
 * vmnet bridge), derived from ONE subnet: the host's gateway address on the
 * bridge, one reserved address per VM in list order, the VIP, the dynamic DHCP
 * pool, and an inventory for the VMs with the same addresses. Changing the
 * subnet moves every one of them; nothing else holds an address.
 *
 *   subnet 192.168.200.0/24 → gateway .1, VMs .3 .4 … (list order), VIP .11, pool .100–.199
 */

export interface LabVmSpec {
  /** Host name of the VM (a DNS label): its DHCP reservation, DNS record and inventory name. */
  name: string;
  /** The VM NIC's MAC (what QEMU gets as `mac=`); default: derived from the name. */
  mac?: string;
  /** Inventory groups of the VM (e.g. control_plane). */
  groups?: string[];
}

export interface VmLabLayout {
  /** The lab network (normalised, network address / prefix). */
  subnet: string;
  /** Host number of the host's own address on the bridge (vmnet's gateway): 1 = the first address. */
  gatewayHost: number;
  /** Host number of the first VM; the others follow in list order. */
  firstVmHost: number;
  /** Host number of the virtual IP (the API load balancer's address on the gateway VM). */
  vipHost: number;
  vms: readonly LabVmSpec[];
  /** The dynamic DHCP pool for unknown clients; default: dnsmasq's default range of the subnet. */
  range?: { start: string; end: string };
}

export interface LabVm {
  name: string;
  ip: string;
  mac: string;
  groups: string[];
}

export interface VmLabPlan {
  subnet: string;
  prefix: number;
  netmask: string;
  /** The host's address on the bridge: the VMs' router (and vmnet's `--vmnet-gateway`). */
  gateway: string;
  vip: string;
  range: { start: string; end: string };
  vms: LabVm[];
}

export interface LabIssue {
  path: (string | number)[];
  message: string;
}

/** Seed 004's VMs: a gateway (load balancer), three control planes, three workers. */
export const SEED_004_VMS: readonly LabVmSpec[] = [
  { name: 'gateway', groups: ['gateways'] },
  { name: 'control0', groups: ['control_plane'] },
  { name: 'control1', groups: ['control_plane'] },
  { name: 'control2', groups: ['control_plane'] },
  { name: 'worker0', groups: ['workers'] },
  { name: 'worker1', groups: ['workers'] },
  { name: 'worker2', groups: ['workers'] },
];

/**
 * A stable, locally administered-looking QEMU MAC for a VM name (52:54:00 is
 * QEMU's prefix): independent of the subnet and of the VM's position, so
 * neither a new subnet nor a reordered list gives a VM a new NIC.
 */
export function defaultVmMac(name: string): string {
  const h = createHash('sha256').update(`labwright-vm:${name}`).digest();
  return ['52', '54', '00', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The address plan, checked as a whole: every address inside the subnet, none used twice, none in the pool. */
export function vmLabPlan(layout: VmLabLayout): { plan?: VmLabPlan; issues: LabIssue[] } {
  const issues: LabIssue[] = [];
  const cidr = parseCidr(layout.subnet);
  const { first, last } = v4Bounds(cidr);
  const hostNumber = (n: number, path: (string | number)[], what: string): string | undefined => {
    const v = first + n;
    if (n < 1 || v >= last) {
      issues.push({ path, message: `${what} would be host number ${n} of ${cidr.text}, which has host numbers 1–${last - first - 1}` });
      return undefined;
    }
    return numberToV4(v);
  };

  const gateway = hostNumber(layout.gatewayHost, ['gateway_host'], 'the gateway');
  const vip = hostNumber(layout.vipHost, ['vip_host'], 'the VIP');
  const vms: LabVm[] = [];
  const seen = { name: new Map<string, number>(), mac: new Map<string, number>() };
  layout.vms.forEach((spec, i) => {
    if (!DNS_LABEL.test(spec.name)) issues.push({ path: ['vms', i, 'name'], message: `"${spec.name}" is not a host name (one DNS label: letters, digits, inner hyphens)` });
    const ip = hostNumber(layout.firstVmHost + i, ['vms', i], `VM ${spec.name} (number ${i + 1} in the list, from first_vm_host ${layout.firstVmHost})`);
    const mac = spec.mac ?? defaultVmMac(spec.name);
    for (const key of ['name', 'mac'] as const) {
      const value = key === 'name' ? spec.name : mac;
      const other = seen[key].get(value);
      if (other !== undefined) issues.push({ path: ['vms', i, key], message: `${key} ${value} is used by VM ${layout.vms[other]!.name} too` });
      else seen[key].set(value, i);
    }
    if (ip) vms.push({ name: spec.name, ip, mac, groups: [...(spec.groups ?? [])] });
  });

  const taken = new Map<string, string>();
  const claim = (ip: string | undefined, what: string, path: (string | number)[]) => {
    if (!ip) return;
    const other = taken.get(ip);
    if (other) issues.push({ path, message: `${ip} would be both ${other} and ${what}` });
    else taken.set(ip, what);
  };
  claim(gateway, 'the gateway (the host on the bridge)', ['gateway_host']);
  claim(vip, 'the VIP', ['vip_host']);
  vms.forEach((vm) => claim(vm.ip, `VM ${vm.name}`, ['vms', layout.vms.findIndex((s) => s.name === vm.name)]));

  let range: { start: string; end: string } | undefined;
  try {
    range = layout.range ?? defaultRange(cidr.text);
  } catch (e) {
    issues.push({ path: ['range'], message: (e as Error).message.replace('dnsmasq.range', 'range') });
  }
  if (range) {
    for (const end of ['start', 'end'] as const) {
      const n = v4ToNumber(range[end]);
      if (!contains(cidr, range[end]) || n === first || n === last) issues.push({ path: ['range', end], message: `${range[end]} is not a host address of ${cidr.text}` });
    }
    const lo = v4ToNumber(range.start);
    const hi = v4ToNumber(range.end);
    if (hi < lo) issues.push({ path: ['range'], message: `range end ${range.end} comes before its start ${range.start}` });
    for (const [ip, what] of taken) {
      const n = v4ToNumber(ip);
      if (n >= lo && n <= hi) issues.push({ path: ['range'], message: `${ip} (${what}) lies inside the dynamic pool ${range.start}–${range.end}: a stranger could be given it` });
    }
  }
  if (issues.length > 0 || !gateway || !vip || !range) return { issues };
  return { issues, plan: { subnet: cidr.text, prefix: cidr.prefix, netmask: netmask(cidr), gateway, vip, range, vms } };
}

export interface LabInventoryOptions {
  /** The VMs' DNS domain (the `lan.domain` of the inventory). */
  domain?: string;
  /** SSH user on the VMs (`ansible_user`). */
  user?: string;
  /** The Kubernetes API port behind the VIP. */
  apiPort?: number;
  /** Pod network; default: the first of 10.244.0.0/16, 172.30.0.0/16, 192.168.0.0/16 that does not overlap the lab. */
  podSubnet?: string;
  /** Service network; default: the first of 10.96.0.0/12, 172.20.0.0/16 that does not overlap the lab or the pods. */
  serviceSubnet?: string;
}

/** The first candidate network that overlaps none of `taken`. */
function firstFree(candidates: readonly string[], taken: readonly string[]): string {
  const free = candidates.find((c) => taken.every((t) => !cidrsOverlap(c, t)));
  if (!free) throw new RangeError(`every default network (${candidates.join(', ')}) overlaps ${taken.join(' or ')}: set it explicitly`);
  return free;
}

/**
 * An Ansible-style YAML inventory (as a plain object) for the lab's VMs: each
 * VM under its groups with `ansible_host`/`ip`/`mac`, `lan` (subnet, gateway,
 * domain) for the roles that derive from it, and the VIP as the cluster's
 * API endpoint (and as `keepalived.vip` of the `gateways` group when there is
 * one). Every address comes from the plan, so from the one subnet; the pod and
 * service networks are chosen not to overlap it (the cluster var's default pod
 * network 192.168.0.0/16 would contain seed 004's 192.168.200.0/24).
 */
export function vmLabInventory(plan: VmLabPlan, options: LabInventoryOptions = {}): Record<string, unknown> {
  const children: Record<string, { hosts?: Record<string, Record<string, unknown>>; vars?: Record<string, unknown>; children?: Record<string, null> }> = {};
  for (const vm of plan.vms) {
    const vars = { ansible_host: vm.ip, ip: vm.ip, mac: vm.mac, ...(options.user ? { ansible_user: options.user } : {}) };
    for (const group of vm.groups.length > 0 ? vm.groups : ['ungrouped']) {
      children[group] ??= { hosts: {} };
      children[group].hosts![vm.name] = vars;
    }
  }
  if (children.gateways) {
    children.gateways.vars = { keepalived: { vip: plan.vip } };
    // the site playbook's groups: haproxy on load_balancers, keepalived on vrrp
    Object.assign(children, { load_balancers: { children: { gateways: null } }, vrrp: { children: { gateways: null } } });
  }
  const pods = options.podSubnet ?? firstFree(['10.244.0.0/16', '172.30.0.0/16', '192.168.0.0/16'], [plan.subnet]);
  const services = options.serviceSubnet ?? firstFree(['10.96.0.0/12', '172.20.0.0/16'], [plan.subnet, pods]);
  return {
    all: {
      vars: {
        lan: { subnet: plan.subnet, gateway: plan.gateway, ...(options.domain ? { domain: options.domain } : {}) },
        cluster: { control_plane_endpoint: `${plan.vip}:${options.apiPort ?? 6443}`, pod_subnet: pods, service_subnet: services },
      },
      children,
    },
  };
}

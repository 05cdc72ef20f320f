import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { contains, normaliseMac, parseIp } from '../../src/net/address.js';
import { isStrictCidr, isStrictIp } from '../../src/net/ip-route.js';
import { IFNAME } from '../../src/net/networkd.js';
import { STP_DEFAULTS } from './model.js';

/** A Linux interface name. */
const ifname = z.string().regex(IFNAME, 'an interface name: 1–15 letters, digits, "_", ".", "-" or "@"');

/** A host address with its prefix: "10.4.0.11/20" (not the subnet's network address). */
const hostCidr = z
  .string()
  .trim()
  .refine(isStrictCidr, 'expected an address with prefix such as 10.4.0.11/20')
  .transform((s) => {
    const [a, p] = ipaddr.parseCIDR(s);
    return `${a.toString()}/${p}`;
  });

const ip = z
  .string()
  .trim()
  .refine(isStrictIp, 'expected an IP address such as 10.4.0.1')
  .transform((s) => parseIp(s).toString());

const mac = z.string().transform((s, ctx) => {
  try {
    return normaliseMac(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a MAC address such as 02:00:00:00:00:01' });
    return z.NEVER;
  }
});

const DHCP = ['no', 'ipv4', 'ipv6', 'yes'] as const;

/** What every link (NIC, bridge, bond, VLAN, dummy) can carry. */
const linkFields = {
  addresses: z.array(hostCidr).default([]).describe('Static addresses with prefix, e.g. `10.4.0.11/20`'),
  gateway: ip.optional().describe('Default gateway (IPv4 or IPv6); must lie in the subnet of one of `addresses` unless `gateway_onlink`'),
  gateway_onlink: z.boolean().default(false).describe('Treat the gateway as directly reachable even outside the subnets of `addresses`'),
  dns: z.array(ip).default([]).describe('DNS servers for this link (used by systemd-resolved when it runs)'),
  domains: z.array(z.string().min(1)).default([]).describe('DNS search domains for this link'),
  dhcp: z
    .union([z.enum(DHCP), z.boolean()])
    .default('no')
    .transform((v) => (v === true ? 'ipv4' : v === false ? 'no' : v))
    .describe('DHCP client: `no`, `ipv4` (or `true`), `ipv6`, `yes` (both)'),
  mtu: z.number().int().min(68).max(65535).optional().describe('MTU in bytes; ports of a bridge/bond inherit the master\'s MTU unless set'),
  mac: mac.optional().describe('Fixed MAC address (for a bridge/bond: keeps DHCP reservations and ARP caches stable)'),
  ignore_carrier: z
    .boolean()
    .default(false)
    .describe('Configure addresses even without carrier (a bridge whose ports are all down, STP still listening)'),
};

/** A glob over interface names or drivers, as networkd's `Name=`/`Driver=` and Netplan's `match` take it: `en*`, `enp?s0`, `e1000*`. */
const glob = z.string().regex(/^[A-Za-z0-9_.@*?[\]!-]{1,64}$/, 'a name or shell glob such as en* (letters, digits, "_", ".", "-", "@", "*", "?", "[…]")');

export const nicMatch = z
  .strictObject({
    name: glob.optional().describe('interface name or glob (`en*`): the NIC as it is named at boot'),
    mac: mac.optional().describe('permanent MAC address of the NIC'),
    driver: glob.optional().describe('kernel driver name or glob (`e1000e`, `virtio_net`, `igb*`)'),
  })
  .refine((m) => m.name !== undefined || m.mac !== undefined || m.driver !== undefined, 'match needs name, mac or driver');

/** A NIC: a link that exists, found by its name (the key) or by `match`. */
export const interfaceVars = z.strictObject({
  ...linkFields,
  match: nicMatch
    .optional()
    .describe('Find the NIC by name glob, MAC and/or driver (all given must fit) instead of by the key, which then only names its configuration (networkd `[Match]`, Netplan `match:`)'),
  set_name: z.boolean().default(false).describe('Netplan only: rename the NIC found by `match.mac` to the key (`set-name`, at the next boot)'),
});

export const bridgeVars = z.strictObject({
  ...linkFields,
  interfaces: z.array(ifname).default([]).describe('Ports: NICs, bonds or VLANs (declared elsewhere or plain NICs labwright then manages as ports)'),
  stp: z.boolean().default(false).describe('Spanning tree. Written explicitly for both renderers: networkd defaults to off, Netplan to on'),
  forward_delay: z
    .number()
    .int()
    .min(0)
    .max(30)
    .optional()
    .describe('STP forward delay in seconds. Default with STP on: 4 (802.1D\'s smallest; the kernel\'s 15 blocks every new port, a VM\'s too, for 30 s)'),
  priority: z.number().int().min(0).max(65535).optional().describe('STP bridge priority (lower wins root election; default 32768)'),
  hello_time: z.number().int().min(1).max(10).optional().describe('STP hello time in seconds (kernel default 2)'),
  max_age: z.number().int().min(6).max(40).optional().describe('STP max age in seconds. Default with STP on: 6 (802.1D: 2 × (forward_delay − 1) ≥ max_age ≥ 2 × (hello_time + 1))'),
});

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export const HASH_POLICIES = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'] as const;

export const bondVars = z.strictObject({
  ...linkFields,
  interfaces: z.array(ifname).min(1).describe('Member NICs'),
  mode: z.enum(BOND_MODES).default('active-backup').describe('Bonding mode; `802.3ad` (LACP) needs a switch configured for it'),
  lacp_rate: z.enum(['slow', 'fast']).optional().describe('LACPDU rate (802.3ad only): `fast` = every second, `slow` = every 30 s'),
  miimon: z.number().int().min(0).default(100).describe('MII link monitoring interval in ms (0 = off; 100 is the usual value)'),
  hash_policy: z.enum(HASH_POLICIES).optional().describe('Transmit hash policy (802.3ad, balance-xor, balance-tlb), e.g. `layer3+4`'),
  primary: ifname.optional().describe('Preferred member (active-backup)'),
});

export const vlanVars = z.strictObject({
  ...linkFields,
  id: z.number().int().min(1).max(4094).optional().describe('VLAN id; derived from a name such as `br0.100` when omitted'),
  link: ifname.optional().describe('Parent link; derived from a name such as `br0.100` when omitted. Must be declared too'),
});

export const RENDERERS = ['networkd', 'netplan'] as const;
export type Renderer = (typeof RENDERERS)[number];

const baseVars = z.strictObject({
  renderer: z.enum(RENDERERS).default('networkd').describe('`networkd` (files in /etc/systemd/network) or `netplan` (/etc/netplan/60-labwright.yaml)'),
  interfaces: z.record(z.string(), interfaceVars).default({}).describe('Existing links (NICs) to configure, by name. Links not named anywhere are left alone'),
  bridges: z.record(z.string(), bridgeVars).default({}).describe('Bridges to create, by name'),
  bonds: z.record(z.string(), bondVars).default({}).describe('Bonds to create, by name'),
  vlans: z.record(z.string(), vlanVars).default({}).describe('VLAN sub-interfaces to create, by name (`br0.100`)'),
  dummies: z.record(z.string(), z.strictObject(linkFields)).default({}).describe('Dummy links to create (networkd only), e.g. for service addresses'),
  rollback_after: z
    .number()
    .int()
    .min(15)
    .max(600)
    .default(60)
    .describe('Seconds after which a change that cut the controller off is undone unless a NEW SSH connection confirmed it'),
  settle_timeout: z.number().int().min(1).max(120).default(20).describe('Seconds the activation waits for links to be configured before confirming'),
  take_over: z
    .boolean()
    .default(false)
    .describe(
      'Hand links that ifupdown (/etc/network/interfaces) or NetworkManager also configure over to networkd: their ifupdown stanza becomes `inet manual`, NetworkManager lists them as unmanaged (part of the guarded change). Default: refuse, naming them',
    ),
});

export type NetworkingInput = z.input<typeof baseVars>;

function hasIpConfig(l: z.output<typeof interfaceVars>): boolean {
  return l.addresses.length > 0 || l.gateway !== undefined || l.dhcp !== 'no' || l.dns.length > 0;
}

export const networkingVars = baseVars.superRefine((v, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const sections = ['interfaces', 'bridges', 'bonds', 'vlans', 'dummies'] as const;
  type Section = (typeof sections)[number];
  const seen = new Map<string, Section>();
  for (const s of sections) {
    for (const name of Object.keys(v[s])) {
      if (!IFNAME.test(name)) issue([s, name], `"${name}" is not an interface name: 1–15 letters, digits, "_", ".", "-" or "@"`);
      const other = seen.get(name);
      if (other) issue([s, name], `${name} is declared twice (also under ${other})`);
      seen.set(name, s);
    }
  }

  const memberOf = new Map<string, string>();
  const claim = (section: 'bridges' | 'bonds', master: string, port: string, i: number) => {
    const prev = memberOf.get(port);
    if (prev) issue([section, master, 'interfaces', i], `${port} is already a port of ${prev}`);
    memberOf.set(port, master);
    if (port === master) issue([section, master, 'interfaces', i], `${master} cannot be a port of itself`);
  };
  for (const [name, b] of Object.entries(v.bridges)) b.interfaces.forEach((p, i) => claim('bridges', name, p, i));
  for (const [name, b] of Object.entries(v.bonds)) {
    b.interfaces.forEach((p, i) => {
      claim('bonds', name, p, i);
      const kind = seen.get(p);
      if (kind && kind !== 'interfaces') issue(['bonds', name, 'interfaces', i], `a bond's members are NICs: ${p} is declared under ${kind}`);
    });
    if (b.lacp_rate && b.mode !== '802.3ad') issue(['bonds', name, 'lacp_rate'], 'lacp_rate applies only to mode 802.3ad');
    if (b.hash_policy && !['802.3ad', 'balance-xor', 'balance-tlb', 'balance-alb'].includes(b.mode)) {
      issue(['bonds', name, 'hash_policy'], `hash_policy does not apply to mode ${b.mode}`);
    }
    if (b.primary !== undefined) {
      if (b.mode !== 'active-backup' && b.mode !== 'balance-tlb' && b.mode !== 'balance-alb') issue(['bonds', name, 'primary'], `primary does not apply to mode ${b.mode}`);
      if (!b.interfaces.includes(b.primary)) issue(['bonds', name, 'primary'], `${b.primary} is not one of the bond's interfaces`);
    }
  }
  for (const [port, master] of memberOf) {
    const section = seen.get(port);
    const def = section ? (v[section] as Record<string, z.output<typeof interfaceVars>>)[port] : undefined;
    if (def && hasIpConfig(def)) issue([section!, port], `${port} is a port of ${master}: put its addresses/DHCP/gateway on ${master} instead`);
    if (memberOf.has(master) && v.bonds[master] && v.bonds[port]) issue(['bonds', port], 'bonds cannot be nested');
  }

  for (const [name, b] of Object.entries(v.bridges)) {
    if (b.stp && b.forward_delay !== undefined && b.forward_delay < 2) issue(['bridges', name, 'forward_delay'], 'with STP on the kernel needs a forward delay of 2–30 s');
    else if (b.stp) {
      // the timers a root bridge announces must satisfy 802.1D's relations, or a topology change can loop
      const fd = b.forward_delay ?? STP_DEFAULTS.forwardDelay;
      const ma = b.max_age ?? STP_DEFAULTS.maxAge;
      const ht = b.hello_time ?? STP_DEFAULTS.helloTime;
      if (2 * (fd - 1) < ma) issue(['bridges', name, 'forward_delay'], `802.1D needs 2 × (forward_delay − 1) ≥ max_age: forward delay ${fd} s allows a max age of at most ${2 * (fd - 1)} s, not ${ma} s`);
      if (ma < 2 * (ht + 1)) issue(['bridges', name, 'max_age'], `802.1D needs max_age ≥ 2 × (hello_time + 1): with hello time ${ht} s the max age must be at least ${2 * (ht + 1)} s, not ${ma} s`);
    }
  }

  for (const [name, vl] of Object.entries(v.vlans)) {
    const m = /^(.+)\.(\d+)$/.exec(name);
    const id = vl.id ?? (m ? Number(m[2]) : undefined);
    const link = vl.link ?? m?.[1];
    if (id === undefined || id < 1 || id > 4094) issue(['vlans', name, 'id'], `no VLAN id: set id (1–4094) or name the VLAN like ${name}.100`);
    if (link === undefined) issue(['vlans', name, 'link'], 'no parent link: set link or name the VLAN like br0.100');
    else if (!seen.has(link)) {
      issue(['vlans', name, 'link'], `parent ${link} is not declared: declare it under interfaces/bridges/bonds (with its own addresses, if any) — its configuration carries the VLAN`);
    } else {
      const parent = (v[seen.get(link)!] as Record<string, { mtu?: number }>)[link];
      if (vl.mtu !== undefined && parent.mtu !== undefined && vl.mtu > parent.mtu) issue(['vlans', name, 'mtu'], `MTU ${vl.mtu} is larger than its parent ${link}'s ${parent.mtu}`);
    }
  }

  for (const [master, def] of [...Object.entries(v.bridges), ...Object.entries(v.bonds)]) {
    if (def.mtu === undefined) continue;
    for (const port of def.interfaces) {
      const section = seen.get(port);
      const p = section ? (v[section] as Record<string, { mtu?: number }>)[port] : undefined;
      if (p?.mtu !== undefined && p.mtu < def.mtu) issue([section!, port, 'mtu'], `MTU ${p.mtu} is smaller than its master ${master}'s ${def.mtu}`);
    }
  }

  const gateways: Record<4 | 6, string[]> = { 4: [], 6: [] };
  for (const s of sections) {
    for (const [name, l] of Object.entries(v[s] as Record<string, z.output<typeof interfaceVars>>)) {
      if (l.gateway === undefined || !isStrictIp(l.gateway)) continue;
      const fam = parseIp(l.gateway).kind() === 'ipv4' ? 4 : 6;
      gateways[fam].push(name);
      const inSubnet = l.addresses.some((a) => {
        try {
          return contains(a, l.gateway!);
        } catch {
          return false;
        }
      });
      if (!inSubnet && !l.gateway_onlink && l.dhcp === 'no') {
        issue([s, name, 'gateway'], `gateway ${l.gateway} is in none of the subnets of ${name}'s addresses (set gateway_onlink if that is intended)`);
      }
    }
  }
  for (const fam of [4, 6] as const) {
    if (gateways[fam].length > 1) issue(['interfaces'], `more than one IPv${fam} default gateway (${gateways[fam].join(', ')}): keep one, add other routes with the static-routes role`);
  }
  for (const [name, nic] of Object.entries(v.interfaces)) {
    if (nic.set_name && v.renderer !== 'netplan') {
      issue(['interfaces', name, 'set_name'], 'renaming is rendered for Netplan only (set-name); with networkd match the NIC where it is and keep its name');
    } else if (nic.set_name && nic.match?.mac === undefined) {
      issue(['interfaces', name, 'set_name'], 'set_name needs match.mac: only a MAC names one NIC for certain');
    }
    if (nic.match?.name !== undefined && /[*?[]/.test(nic.match.name) && nic.addresses.length > 0) {
      issue(['interfaces', name, 'addresses'], `match.name ${nic.match.name} may match several NICs, and each would get ${nic.addresses.join(', ')}: match one NIC (mac) or use DHCP`);
    }
  }
  if (v.renderer === 'netplan' && Object.keys(v.dummies).length > 0) issue(['dummies'], 'dummy links are rendered for systemd-networkd only');
  if (v.settle_timeout + 10 > v.rollback_after) issue(['rollback_after'], `must exceed settle_timeout (${v.settle_timeout}s) by at least 10s, or a slow activation is rolled back while it confirms`);
});

export type NetworkingVars = z.output<typeof networkingVars>;

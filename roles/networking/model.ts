import { createHash } from 'node:crypto';
import type { NetworkingVars } from './vars.js';

/**
 * The role's vars as one flat list of links, each with everything a renderer
 * needs: kind, IP settings, its master (bridge/bond it is a port of), the
 * VLANs stacked on it, and kind-specific settings. Ports that are named only
 * in a bridge's or bond's `interfaces` become plain NIC entries here.
 */

export type LinkKind = 'ethernet' | 'bridge' | 'bond' | 'vlan' | 'dummy';

/** Kinds labwright creates (and deletes/recreates: networkd never changes an existing netdev). */
export const VIRTUAL_KINDS: readonly LinkKind[] = ['bridge', 'bond', 'vlan', 'dummy'];

export interface IpSettings {
  addresses: string[];
  gateway?: string;
  gatewayOnlink: boolean;
  dns: string[];
  domains: string[];
  dhcp: 'no' | 'ipv4' | 'ipv6' | 'yes';
}

export interface BridgeSettings {
  stp: boolean;
  forwardDelay?: number;
  priority?: number;
  helloTime?: number;
  maxAge?: number;
}

export interface BondSettings {
  mode: string;
  lacpRate?: 'slow' | 'fast';
  miimon: number;
  hashPolicy?: string;
  primary?: string;
}

/** How a NIC is found when not by its name (all given must fit): networkd `[Match]`, Netplan `match:`. */
export interface NicMatch {
  name?: string;
  mac?: string;
  driver?: string;
}

export interface Link {
  /** The link's name; for a NIC found by `match`, the name of its configuration (file, Netplan id). */
  name: string;
  kind: LinkKind;
  match?: NicMatch;
  /** Netplan `set-name`: the NIC found by match.mac is renamed to `name`. */
  setName?: boolean;
  /** A live NIC found by `match` (see liveModel): the name of its configuration, `name` being the kernel's. */
  config?: string;
  ip: IpSettings;
  mtu?: number;
  mac?: string;
  ignoreCarrier: boolean;
  /** The bridge or bond this link is a port of. */
  master?: { name: string; kind: 'bridge' | 'bond' };
  /** Ports (bridges and bonds). */
  ports: string[];
  /** VLANs stacked on this link. */
  vlans: string[];
  bridge?: BridgeSettings;
  bond?: BondSettings;
  vlan?: { id: number; link: string };
}

const NO_IP: IpSettings = { addresses: [], gatewayOnlink: false, dns: [], domains: [], dhcp: 'no' };

type Common = NetworkingVars['dummies'][string];

function ipOf(l: Common): IpSettings {
  return { addresses: l.addresses, gateway: l.gateway, gatewayOnlink: l.gateway_onlink, dns: l.dns, domains: l.domains, dhcp: l.dhcp };
}

function base(name: string, kind: LinkKind, l: Common): Link {
  return { name, kind, ip: ipOf(l), mtu: l.mtu, mac: l.mac, ignoreCarrier: l.ignore_carrier, ports: [], vlans: [] };
}

/** Order in which links are listed (and files appear in diffs): masters before what stacks on them. */
const ORDER: Record<LinkKind, number> = { ethernet: 0, bond: 1, bridge: 2, vlan: 3, dummy: 4 };

/** The host the links are built for: its name, its `mac` var and its addresses (`ip`, `ansible_host`, `address`). */
export interface HostIdentity {
  name: string;
  mac?: string;
  addresses: readonly string[];
}

/**
 * STP timers with STP on, unless set: a forward delay of 4 s (802.1D's
 * smallest; the kernel's 15 s keeps every new port, a VM's included, blocked
 * for 30 s: PXE and the first DHCP time out) and a max age of 6 s, so that
 * 802.1D's 2 × (forward delay − 1) ≥ max age ≥ 2 × (hello time + 1) holds.
 */
export const STP_DEFAULTS = { forwardDelay: 4, maxAge: 6, helloTime: 2 } as const;

/**
 * A bridge's pinned MAC, unless set: the host's `mac` when the bridge carries
 * the host's address (its DHCP reservation and the neighbours' ARP entries
 * stay valid), else a locally administered one derived from host and bridge
 * name. Unpinned, a Linux bridge takes the lowest MAC of its ports and changes
 * it when a VM's port joins, which with STP also changes the bridge ID.
 */
export function pinnedBridgeMac(bridge: string, addresses: readonly string[], host: HostIdentity): string {
  if (host.mac && addresses.some((a) => host.addresses.includes(a.split('/')[0]!))) return host.mac;
  const b = createHash('sha256').update(`labwright bridge ${host.name}/${bridge}`).digest();
  b[0] = (b[0]! & 0xfc) | 0x02; // unicast, locally administered
  return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function buildModel(v: NetworkingVars, host?: HostIdentity): Link[] {
  const links = new Map<string, Link>();
  for (const [name, l] of Object.entries(v.interfaces)) {
    links.set(name, { ...base(name, 'ethernet', l), ...(l.match ? { match: { ...l.match } } : {}), ...(l.set_name ? { setName: true } : {}) });
  }
  for (const [name, l] of Object.entries(v.dummies)) links.set(name, base(name, 'dummy', l));
  for (const [name, b] of Object.entries(v.bonds)) {
    links.set(name, {
      ...base(name, 'bond', b),
      ports: [...b.interfaces],
      bond: { mode: b.mode, lacpRate: b.lacp_rate, miimon: b.miimon, hashPolicy: b.hash_policy, primary: b.primary },
    });
  }
  for (const [name, b] of Object.entries(v.bridges)) {
    const stp = b.stp ? { forwardDelay: b.forward_delay ?? STP_DEFAULTS.forwardDelay, maxAge: b.max_age ?? STP_DEFAULTS.maxAge } : { forwardDelay: b.forward_delay, maxAge: b.max_age };
    links.set(name, {
      ...base(name, 'bridge', b),
      mac: b.mac ?? (host ? pinnedBridgeMac(name, b.addresses, host) : undefined),
      ports: [...b.interfaces],
      bridge: { stp: b.stp, forwardDelay: stp.forwardDelay, priority: b.priority, helloTime: b.hello_time, maxAge: stp.maxAge },
    });
  }
  for (const [name, vl] of Object.entries(v.vlans)) {
    const m = /^(.+)\.(\d+)$/.exec(name);
    const id = vl.id ?? Number(m![2]);
    const link = vl.link ?? m![1];
    links.set(name, { ...base(name, 'vlan', vl), vlan: { id, link } });
  }
  // ports named only in a master's list are NICs labwright manages as ports
  for (const master of [...links.values()].filter((l) => l.kind === 'bridge' || l.kind === 'bond')) {
    for (const port of master.ports) {
      if (!links.has(port)) links.set(port, { name: port, kind: 'ethernet', ip: { ...NO_IP }, ignoreCarrier: false, ports: [], vlans: [] });
      const p = links.get(port)!;
      p.master = { name: master.name, kind: master.kind as 'bridge' | 'bond' };
    }
  }
  // ports take the master's MTU unless set (a bridge cannot be larger than its smallest port)
  const inheritMtu = (l: Link): number | undefined => l.mtu ?? (l.master ? inheritMtu(links.get(l.master.name)!) : undefined);
  for (const l of links.values()) l.mtu = inheritMtu(l);
  for (const l of links.values()) if (l.vlan) links.get(l.vlan.link)?.vlans.push(l.name);
  return [...links.values()].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.name.localeCompare(b.name));
}

export function isVirtual(l: Pick<Link, 'kind'>): boolean {
  return VIRTUAL_KINDS.includes(l.kind);
}

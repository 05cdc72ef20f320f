import { stringify } from 'yaml';
import { networkdFile, renderIni, type IniSection } from '../../src/net/networkd.js';
import { isVirtual, type Link } from './model.js';

export const HEADER = '# Managed by labwright (role networking): local changes are overwritten.\n';
export const NETPLAN_PATH = '/etc/netplan/60-labwright.yaml';

/** networkd `.netdev` for a link labwright creates (bridge, bond, VLAN, dummy). */
export function renderNetdev(l: Link): string {
  const sections: IniSection[] = [
    {
      name: 'NetDev',
      entries: [
        ['Name', l.name],
        ['Kind', l.kind],
        ['MACAddress', l.mac],
      ],
    },
  ];
  if (l.bridge) {
    sections.push({
      name: 'Bridge',
      entries: [
        ['STP', l.bridge.stp],
        ['ForwardDelaySec', l.bridge.forwardDelay],
        ['Priority', l.bridge.priority],
        ['HelloTimeSec', l.bridge.helloTime],
        ['MaxAgeSec', l.bridge.maxAge],
      ],
    });
  }
  if (l.bond) {
    sections.push({
      name: 'Bond',
      entries: [
        ['Mode', l.bond.mode],
        ['LACPTransmitRate', l.bond.lacpRate],
        ['MIIMonitorSec', `${l.bond.miimon}ms`],
        ['TransmitHashPolicy', l.bond.hashPolicy],
      ],
    });
  }
  if (l.vlan) sections.push({ name: 'VLAN', entries: [['Id', l.vlan.id]] });
  return renderIni(HEADER, sections);
}

/**
 * networkd `[Match]`: the NIC's name, or what `match` finds it by (every key
 * given must fit). The permanent MAC, as Netplan renders it: a bond member's
 * current MAC is the bond's.
 */
function matchEntries(l: Link): [string, string | undefined][] {
  if (!l.match) return [['Name', l.name]];
  return [
    ['Name', l.match.name],
    ['PermanentMACAddress', l.match.mac],
    ['Driver', l.match.driver],
  ];
}

/** networkd `.network` for any managed link. */
export function renderNetwork(l: Link, links: readonly Link[]): string {
  const network: [string, string | number | boolean | undefined][] = [];
  if (l.master) {
    network.push([l.master.kind === 'bridge' ? 'Bridge' : 'Bond', l.master.name]);
    const master = links.find((m) => m.name === l.master!.name);
    if (master?.bond?.primary === l.name) network.push(['PrimarySlave', true]);
    // a port carries no IP of its own: no IPv6 link-local address, no router advertisements (systemd.network(5))
    network.push(['LinkLocalAddressing', false], ['IPv6AcceptRA', false]);
  } else {
    if (l.ip.dhcp !== 'no') network.push(['DHCP', l.ip.dhcp]);
    for (const a of l.ip.addresses) network.push(['Address', a]);
    if (l.ip.gateway && !l.ip.gatewayOnlink) network.push(['Gateway', l.ip.gateway]);
    for (const d of l.ip.dns) network.push(['DNS', d]);
    if (l.ip.domains.length > 0) network.push(['Domains', l.ip.domains.join(' ')]);
    if (l.ignoreCarrier) network.push(['ConfigureWithoutCarrier', true]);
  }
  for (const v of l.vlans) network.push(['VLAN', v]);
  const sections: IniSection[] = [
    { name: 'Match', entries: matchEntries(l) },
    {
      name: 'Link',
      entries: [
        ['MTUBytes', l.mtu],
        // a created link gets its MAC in the .netdev; a NIC's is changed here
        ['MACAddress', isVirtual(l) ? undefined : l.mac],
      ],
    },
    // an empty [Network] would still be valid, but a port or bare link needs none of it
    { name: 'Network', entries: network },
  ];
  if (l.ip.gateway && l.ip.gatewayOnlink && !l.master) {
    sections.push({
      name: 'Route',
      entries: [
        ['Gateway', l.ip.gateway],
        ['GatewayOnLink', true],
      ],
    });
  }
  return renderIni(HEADER, sections);
}

/** Every networkd file the links need: path → content. */
export function renderNetworkd(links: readonly Link[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const l of links) {
    if (isVirtual(l)) files.set(networkdFile(l.name, 'netdev'), renderNetdev(l));
    files.set(networkdFile(l.name, 'network'), renderNetwork(l, links));
  }
  return files;
}

type Yaml = Record<string, unknown>;

/**
 * Settings written for a bridge/bond port: explicit, because Netplan merges
 * every file's definition of a device and a port's own file (cloud-init's
 * 50-cloud-init.yaml: `dhcp4: true`) would otherwise keep a DHCP client, RA
 * and an IPv6 link-local address running on the enslaved NIC.
 */
const NETPLAN_PORT: Yaml = { dhcp4: false, dhcp6: false, 'accept-ra': false, 'link-local': [] };

function netplanDevice(l: Link): Yaml {
  // per device, never the global `network.renderer`: that would also take every other device
  // defined in any file (a laptop's Wi-Fi, NetworkManager's wired links) to networkd
  const d: Yaml = { renderer: 'networkd' };
  if (l.match) {
    d.match = { ...(l.match.name ? { name: l.match.name } : {}), ...(l.match.mac ? { macaddress: l.match.mac } : {}), ...(l.match.driver ? { driver: l.match.driver } : {}) };
    if (l.setName) d['set-name'] = l.name;
  }
  if (l.kind === 'bridge' || l.kind === 'bond') d.interfaces = [...l.ports];
  if (l.vlan) Object.assign(d, { id: l.vlan.id, link: l.vlan.link });
  if (l.master) Object.assign(d, NETPLAN_PORT);
  else {
    if (l.ip.addresses.length > 0) d.addresses = [...l.ip.addresses];
    d.dhcp4 = l.ip.dhcp === 'ipv4' || l.ip.dhcp === 'yes';
    d.dhcp6 = l.ip.dhcp === 'ipv6' || l.ip.dhcp === 'yes';
    if (l.ip.gateway) d.routes = [{ to: 'default', via: l.ip.gateway, ...(l.ip.gatewayOnlink ? { 'on-link': true } : {}) }];
    if (l.ip.dns.length > 0 || l.ip.domains.length > 0) {
      d.nameservers = { ...(l.ip.dns.length > 0 ? { addresses: [...l.ip.dns] } : {}), ...(l.ip.domains.length > 0 ? { search: [...l.ip.domains] } : {}) };
    }
    if (l.ignoreCarrier) d['ignore-carrier'] = true;
  }
  if (l.mtu !== undefined) d.mtu = l.mtu;
  if (l.mac) d.macaddress = l.mac;
  if (l.bridge) {
    const p: Yaml = { stp: l.bridge.stp }; // Netplan's default is on: always say which
    if (l.bridge.forwardDelay !== undefined) p['forward-delay'] = l.bridge.forwardDelay;
    if (l.bridge.priority !== undefined) p.priority = l.bridge.priority;
    if (l.bridge.helloTime !== undefined) p['hello-time'] = l.bridge.helloTime;
    if (l.bridge.maxAge !== undefined) p['max-age'] = l.bridge.maxAge;
    d.parameters = p;
  }
  if (l.bond) {
    const p: Yaml = { mode: l.bond.mode, 'mii-monitor-interval': l.bond.miimon };
    if (l.bond.lacpRate) p['lacp-rate'] = l.bond.lacpRate;
    if (l.bond.hashPolicy) p['transmit-hash-policy'] = l.bond.hashPolicy;
    if (l.bond.primary) p.primary = l.bond.primary;
    d.parameters = p;
  }
  return d;
}

const NETPLAN_SECTION: Record<Link['kind'], string | undefined> = { ethernet: 'ethernets', bond: 'bonds', bridge: 'bridges', vlan: 'vlans', dummy: undefined };

/** The Netplan file: one YAML document with every link under its section. */
export function renderNetplan(links: readonly Link[]): string {
  const network: Yaml = { version: 2 };
  for (const section of ['ethernets', 'bonds', 'bridges', 'vlans']) {
    const devices = links.filter((l) => NETPLAN_SECTION[l.kind] === section);
    if (devices.length > 0) network[section] = Object.fromEntries(devices.map((l) => [l.name, netplanDevice(l)]));
  }
  return HEADER + stringify({ network }, { lineWidth: 0 });
}

/**
 * What identifies a created link beyond its name: when it differs between the
 * old and the new configuration the link is deleted and created anew
 * (networkd and Netplan do not change an existing netdev's kind or settings).
 */
export function netdevSignature(l: Link): string {
  return JSON.stringify({ kind: l.kind, mac: l.mac ?? null, bridge: l.bridge ?? null, bond: l.bond ?? null, vlan: l.vlan ?? null });
}

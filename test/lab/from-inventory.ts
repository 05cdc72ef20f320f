import { networkInterfaces } from 'node:os';
import { loadInventory } from '../../src/inventory/index.js';
import type { Host } from '../../src/inventory/types.js';
import { cidrsOverlap, contains, numberToV4, parseCidr, v4Bounds, v4ToNumber } from '../../src/net/address.js';
import { hostAddressIn, lanOf } from '../../src/net/lan.js';
import { isSecret } from '../../src/secret.js';
import { docker } from './docker.js';
import type { LabHostSpec } from './index.js';

/** Connection vars the lab sets itself (every other var is kept). */
const CONNECTION_KEYS = new Set(['address', 'port', 'user', 'key_file', 'become', 'connection', 'host_key_checking', 'known_hosts_file', 'connect_timeout']);

export interface LabLayout {
  /** The inventory's LAN and the lab network standing in for it (same prefix length, same host offsets). */
  home: string;
  subnet: { subnet: string; gateway: string };
  hosts: LabHostSpec[];
}

/** Subnets in use on this machine: Docker's networks and the controller's own interfaces. */
async function subnetsInUse(): Promise<string[]> {
  const client = await docker();
  const networks = await client.container.dockerode.listNetworks();
  const fromDocker = networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s && !s.includes(':'))));
  const fromHost = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.family === 'IPv4' && i.cidr)
    .map((i) => i!.cidr!);
  return [...fromDocker, ...fromHost];
}

/** A free subnet of the given prefix length inside 172.30.0.0/15 for the lab. */
async function freeSubnet(prefix: number, avoid: string): Promise<string> {
  const used = [...(await subnetsInUse()), avoid];
  const size = 2 ** (32 - prefix);
  const { first, last } = v4Bounds('172.30.0.0/15');
  for (let base = first; base + size - 1 <= last; base += size) {
    const candidate = `${numberToV4(base)}/${prefix}`;
    if (!used.some((u) => cidrsOverlap(u, candidate))) return candidate;
  }
  throw new Error(`no free /${prefix} left in 172.30.0.0/15 for the lab network`);
}

/** Every IPv4 address of `home` inside a string, moved to the same offset in `lab`. */
function remapper(home: string, lab: string): (value: unknown) => unknown {
  const h = v4Bounds(home);
  const l = v4Bounds(lab);
  const move = (text: string) =>
    text.replace(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g, (ip) => {
      try {
        return contains(home, ip) ? numberToV4(l.first + (v4ToNumber(ip) - h.first)) : ip;
      } catch {
        return ip;
      }
    });
  const remap = (value: unknown): unknown => {
    if (typeof value === 'string') return move(value);
    if (Array.isArray(value)) return value.map(remap);
    if (value && typeof value === 'object' && !isSecret(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remap(v)]));
    return value;
  };
  return remap;
}

function ownVars(host: Host): Record<string, unknown> {
  return Object.fromEntries(Object.entries(host.vars).filter(([k]) => !k.startsWith('ansible_') && !CONNECTION_KEYS.has(k)));
}

/**
 * The lab standing in for an inventory: one container per host with the same
 * groups and vars, on a lab network with the same prefix length as the
 * inventory's `lan.subnet`, each host at the same offset (10.0.10.11 → 172.30.0.11),
 * every address inside the LAN in every var moved the same way. Upstream DNS
 * forwarders are dropped: the lab never sends traffic outside itself.
 */
export async function labFromInventory(path: string): Promise<LabLayout> {
  const inventory = await loadInventory([path]);
  const hosts = [...inventory.hosts.values()];
  const home = hosts.map((h) => lanOf(h).subnet).find(Boolean);
  if (!home) throw new Error(`${path}: no lan.subnet: the lab needs the inventory's LAN to lay out its network`);
  const lab = await freeSubnet(parseCidr(home).prefix, home);
  const remap = remapper(home, lab);
  const gateway = numberToV4(v4Bounds(lab).first + 1);
  return {
    home,
    subnet: { subnet: lab, gateway },
    hosts: hosts.map((host) => {
      const address = hostAddressIn(host, home);
      if (!address) throw new Error(`${path}: host ${host.name} has no address in ${home}`);
      const vars = remap(ownVars(host)) as Record<string, unknown>;
      if (vars.dnsmasq && typeof vars.dnsmasq === 'object') vars.dnsmasq = { ...vars.dnsmasq, upstream: [], forward_zones: {} };
      return { name: host.name, groups: host.groups.filter((g) => g !== 'all' && g !== 'ungrouped'), ip: remap(address) as string, vars };
    }),
  };
}

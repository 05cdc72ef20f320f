import { defineFact } from '../facts/fact.js';
import { joinCommands, sh, type Command } from '../shell/quote.js';
import { routeReplaceCommand, type LiveRoute } from './ip-route.js';

/**
 * Network links as the kernel has them right now (`ip -j -d addr show`), and
 * the commands that put one link back the way it was: what a rollback needs
 * when the configuration that held an interface (Docker's, ifupdown's, a
 * hand-made one) is not in any file a renderer could restore.
 */

export interface LinkAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
  /** From DHCP/SLAAC (has a lifetime). */
  dynamic: boolean;
}

export interface LinkState {
  name: string;
  index: number;
  mtu: number;
  mac?: string;
  /** The NIC's own MAC when the current one differs (a bond member carries the bond's): `ip -d`'s permaddr. */
  permanentMac?: string;
  /** Administratively up (flag UP). */
  up: boolean;
  operstate: string;
  /** Bridge/bond this link is a port of. */
  master?: string;
  /** Link kind: bridge, bond, vlan, veth, dummy… (undefined for plain NICs). */
  kind?: string;
  /** Kind-specific data as `ip -d` reports it (bridge stp_state, vlan id…). */
  info: Record<string, unknown>;
  /** The parent link of a VLAN/veth (`link`). */
  parent?: string;
  addresses: LinkAddress[];
}

interface RawLink {
  ifindex: number;
  ifname: string;
  link?: string;
  flags?: string[];
  mtu: number;
  address?: string;
  permaddr?: string;
  operstate: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: 'inet' | 'inet6'; local: string; prefixlen: number; scope: string; dynamic?: boolean; valid_life_time?: number }[];
}

export function parseLinks(stdout: string): LinkState[] {
  const raw = JSON.parse(stdout.trim() || '[]') as RawLink[];
  return raw.map((l) => ({
    name: l.ifname,
    index: l.ifindex,
    mtu: l.mtu,
    mac: l.address,
    ...(l.permaddr ? { permanentMac: l.permaddr } : {}),
    up: (l.flags ?? []).includes('UP'),
    operstate: l.operstate,
    master: l.master,
    kind: l.linkinfo?.info_kind,
    info: l.linkinfo?.info_data ?? {},
    parent: l.link,
    addresses: (l.addr_info ?? []).map((a) => ({
      family: a.family,
      local: a.local,
      prefixlen: a.prefixlen,
      scope: a.scope,
      dynamic: a.dynamic === true || (a.valid_life_time !== undefined && a.valid_life_time !== 4294967295),
    })),
  }));
}

/** Every link with its details and addresses. */
export const links = defineFact('links', () => ({
  command: sh`ip -j -d addr show`,
  parse: ({ stdout }) => parseLinks(stdout),
}));

/**
 * Commands that put `link` back as it is now: out of any bridge/bond it was
 * not in, its MTU, its global addresses and the routes through it (all
 * tables the caller read), and up or down. Every step tolerates failure so
 * that as much as possible comes back.
 */
export function restoreLinkCommand(link: LinkState, routes: readonly LiveRoute[]): Command {
  const dev = link.name;
  const steps: Command[] = [];
  steps.push(link.master ? sh`ip link set dev ${dev} master ${link.master}` : sh`ip link set dev ${dev} nomaster`);
  steps.push(sh`ip link set dev ${dev} mtu ${link.mtu}`);
  steps.push(sh`ip link set dev ${dev} ${link.up ? 'up' : 'down'}`);
  steps.push(sh`ip -4 addr flush dev ${dev} scope global`, sh`ip -6 addr flush dev ${dev} scope global`);
  for (const a of link.addresses.filter((x) => x.scope === 'global')) {
    steps.push(sh`ip addr replace ${`${a.local}/${a.prefixlen}`} dev ${dev}`);
  }
  for (const r of routes.filter((x) => x.dev === dev && x.protocol !== 'kernel' && x.scope !== 'host' && !(x.to === 'default6' && !x.via))) {
    if (r.family === 6 && r.to.startsWith('fe80:')) continue;
    steps.push(routeReplaceCommand({ to: r.to, via: r.via, dev, metric: r.metric, onlink: r.onlink, src: r.src }));
  }
  return joinCommands(
    steps.map((s) => sh`${s} 2>/dev/null || true`),
    '; ',
  );
}

import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileInfo, type FileInfo } from '../../src/facts/builtin.js';
import { liveRoutes } from '../../src/net/ip-route.js';
import { links as linksFact, restoreLinkCommand, type LinkState } from '../../src/net/link-state.js';
import { netplanValidateCommand } from '../../src/net/netplan.js';
import { NETWORKD_DIR, networkdFile, networkdFiles, networkdLinks, type NetworkdLink } from '../../src/net/networkd.js';
import { absent, change, file, guarded, ok, type Op, type OpContext } from '../../src/ops/index.js';
import { activationScript } from './activate.js';
import { otherManagers, planHandover, withAfter } from './handover.js';
import { liveModel, liveNamesOf, matchOfNetplan, matchOfNetworkFile, needsDrivers, nicDrivers } from './match.js';
import { isVirtual, type Link, type NicMatch } from './model.js';
import { NETPLAN_PATH, netdevSignature, renderNetplan, renderNetworkd } from './render.js';
import type { Renderer } from './vars.js';

/** What the files in place now say (the previous apply of this role), as far as activation needs it. */
export interface PreviousConfig {
  /** Created links → signature (networkd: the .netdev text; Netplan: netdevSignature). */
  virtual: Map<string, string>;
  /** NICs (not created by us) that had a configuration. */
  nics: Set<string>;
  /** Those of them found by a match rather than by name. */
  matches: Map<string, NicMatch>;
  /** port → master. */
  ports: Map<string, string>;
  renderer?: Renderer;
}

/** Reads the previous networkd configuration from our files' names and contents. */
export function previousFromNetworkd(files: ReadonlyMap<string, string>): PreviousConfig {
  const prev: PreviousConfig = { virtual: new Map(), nics: new Set(), matches: new Map(), ports: new Map() };
  for (const [path, content] of files) {
    const m = /^10-labwright-(.+)\.(netdev|network)$/.exec(posix.basename(path));
    if (!m) continue;
    prev.renderer = 'networkd';
    if (m[2] === 'netdev') prev.virtual.set(m[1], content);
    else {
      const master = /^(?:Bridge|Bond)=(.+)$/m.exec(content);
      if (master) prev.ports.set(m[1], master[1].trim());
    }
  }
  for (const path of files.keys()) {
    const m = /^10-labwright-(.+)\.network$/.exec(posix.basename(path));
    if (m && !prev.virtual.has(m[1])) {
      prev.nics.add(m[1]);
      const match = matchOfNetworkFile(files.get(path)!, m[1]);
      if (match) prev.matches.set(m[1], match);
    }
  }
  return prev;
}

/** Reads the previous Netplan configuration (our file) back. */
export function previousFromNetplan(content: string): PreviousConfig {
  const prev: PreviousConfig = { virtual: new Map(), nics: new Set(), matches: new Map(), ports: new Map(), renderer: 'netplan' };
  let doc: { network?: Record<string, Record<string, Record<string, unknown>> | unknown> } | undefined;
  try {
    doc = parseYaml(content) as typeof doc;
  } catch {
    return prev;
  }
  const net = (doc?.network ?? {}) as Record<string, unknown>;
  const section = (s: string) => (net[s] && typeof net[s] === 'object' ? (net[s] as Record<string, Record<string, unknown>>) : {});
  for (const [name, d] of Object.entries(section('ethernets'))) {
    prev.nics.add(name);
    const match = matchOfNetplan(d);
    if (match) prev.matches.set(name, match);
  }
  const kinds = { bridges: 'bridge', bonds: 'bond', vlans: 'vlan' } as const;
  for (const [s, kind] of Object.entries(kinds)) {
    for (const [name, d] of Object.entries(section(s))) {
      const p = (d.parameters ?? {}) as Record<string, unknown>;
      const sig: Link = {
        name,
        kind,
        ip: { addresses: [], dns: [], domains: [], dhcp: 'no', gatewayOnlink: false },
        ports: [],
        vlans: [],
        ignoreCarrier: false,
        mac: typeof d.macaddress === 'string' ? d.macaddress : undefined,
        bridge:
          kind === 'bridge'
            ? {
                stp: p.stp !== false,
                forwardDelay: p['forward-delay'] as number | undefined,
                priority: p.priority as number | undefined,
                helloTime: p['hello-time'] as number | undefined,
                maxAge: p['max-age'] as number | undefined,
              }
            : undefined,
        bond:
          kind === 'bond'
            ? {
                mode: String(p.mode ?? 'balance-rr'),
                lacpRate: p['lacp-rate'] as 'slow' | 'fast' | undefined,
                miimon: Number(p['mii-monitor-interval'] ?? 0),
                hashPolicy: p['transmit-hash-policy'] as string | undefined,
                primary: p.primary as string | undefined,
              }
            : undefined,
        vlan: kind === 'vlan' ? { id: Number(d.id), link: String(d.link) } : undefined,
      };
      prev.virtual.set(name, netdevSignature(sig));
      for (const port of Array.isArray(d.interfaces) ? (d.interfaces as string[]) : []) prev.ports.set(port, name);
    }
  }
  return prev;
}

/** Live state that differs from the model: what to re-create, what to reconfigure, and why. */
export interface Drift {
  recreate: string[];
  reconfigure: string[];
  reasons: string[];
}

const STP_ON = (info: Record<string, unknown>) => Number(info.stp_state ?? 0) !== 0;

export function liveDrift(model: readonly Link[], live: readonly LinkState[], networkd: readonly NetworkdLink[], renderer: Renderer): Drift {
  const d: Drift = { recreate: [], reconfigure: [], reasons: [] };
  const byName = new Map(live.map((l) => [l.name, l]));
  const nd = new Map(networkd.map((l) => [l.name, l]));
  for (const l of model) {
    const s = byName.get(l.name);
    if (!s) {
      if (isVirtual(l)) d.reasons.push(`${l.name} does not exist`);
      continue; // a NIC that is not there (yet) is configured by networkd when it appears
    }
    if (isVirtual(l)) {
      const problems: string[] = [];
      if (s.kind !== l.kind) problems.push(`is a ${s.kind ?? 'plain link'}, not a ${l.kind}`);
      else if (l.bridge && STP_ON(s.info) !== l.bridge.stp) problems.push(`has STP ${STP_ON(s.info) ? 'on' : 'off'}`);
      else if (l.vlan && Number(s.info.id) !== l.vlan.id) problems.push(`has VLAN id ${String(s.info.id)}`);
      else if (l.mac && s.mac !== l.mac) problems.push(`has MAC ${s.mac}`);
      if (problems.length > 0) {
        d.recreate.push(l.name);
        d.reasons.push(`${l.name} ${problems.join(', ')}: re-create it`);
        continue;
      }
    }
    const problems: string[] = [];
    const n = nd.get(l.name);
    if (!n || n.state === 'unmanaged') problems.push('is not managed by systemd-networkd');
    else if (renderer === 'networkd' && n.networkFile && n.networkFile !== networkdFile(l.config ?? l.name, 'network')) problems.push(`is configured by ${n.networkFile}`);
    if (l.mtu !== undefined && s.mtu !== l.mtu) problems.push(`has MTU ${s.mtu}`);
    if (l.master && s.master !== l.master.name) problems.push(s.master ? `is a port of ${s.master}` : `is not a port of ${l.master.name}`);
    const hasCarrier = s.operstate === 'UP' || s.operstate === 'UNKNOWN';
    if (!l.master && (hasCarrier || l.ignoreCarrier)) {
      for (const a of l.ip.addresses) {
        if (!s.addresses.some((x) => `${x.local}/${x.prefixlen}` === a)) problems.push(`lacks address ${a}`);
      }
    }
    if (problems.length > 0) {
      d.reconfigure.push(l.name);
      d.reasons.push(`${l.name} ${problems.join(', ')}`);
    }
  }
  return d;
}

export interface NetworkConfigArgs {
  renderer: Renderer;
  model: readonly Link[];
  rollbackAfter: number;
  settleTimeout: number;
  stateDir?: string;
  /** Hand links ifupdown or NetworkManager also configure over to networkd (else refuse). */
  takeOver?: boolean;
}

function contentOf(info: FileInfo): string | undefined {
  return info.exists && info.type === 'file' ? (info.content ?? '') : undefined;
}

/**
 * The networking files and their activation as ONE guarded change: stale
 * files of ours removed, new ones written, the live links brought in line;
 * confirmed over a new connection or rolled back (files and live state).
 */
export function networkConfig(args: NetworkConfigArgs): Op {
  const wanted = args.renderer === 'networkd' ? renderNetworkd(args.model) : new Map([[NETPLAN_PATH, renderNetplan(args.model)]]);
  const listing = networkdFiles();
  const netplanInfo = fileInfo(NETPLAN_PATH);
  const routesFact = liveRoutes(254);
  const managers = otherManagers();
  const facts = [listing, netplanInfo, linksFact(), networkdLinks(), routesFact, managers, ...[...wanted.keys()].map((p) => fileInfo(p))];

  async function buildGuarded(ctx: OpContext): Promise<Op> {
    const present = (await ctx.fact(listing)).map((f) => posix.join(NETWORKD_DIR, f));
    const oldNetworkd = new Map<string, string>();
    for (const p of present) {
      const c = contentOf(await ctx.fact(fileInfo(p)));
      if (c !== undefined) oldNetworkd.set(p, c);
    }
    const oldNetplan = contentOf(await ctx.fact(netplanInfo));
    const prevNetworkd = previousFromNetworkd(oldNetworkd);
    const prevNetplan = oldNetplan !== undefined ? previousFromNetplan(oldNetplan) : undefined;
    const stale = [...present.filter((p) => !wanted.has(p)), ...(oldNetplan !== undefined && !wanted.has(NETPLAN_PATH) ? [NETPLAN_PATH] : [])];

    // created links whose definition differs between the files in place and the new ones
    const prevVirtual = new Map([...prevNetworkd.virtual, ...(prevNetplan?.virtual ?? [])]);
    const newVirtual = new Map(
      args.model.filter(isVirtual).map((l) => [l.name, args.renderer === 'networkd' ? wanted.get(networkdFile(l.name, 'netdev'))! : netdevSignature(l)]),
    );
    const sameRenderer = (prevNetworkd.renderer ?? prevNetplan?.renderer ?? args.renderer) === args.renderer && !(prevNetworkd.renderer && prevNetplan);
    const recreate = new Set<string>();
    for (const name of new Set([...prevVirtual.keys(), ...newVirtual.keys()])) {
      if (!sameRenderer || prevVirtual.get(name) !== newVirtual.get(name)) recreate.add(name);
    }

    const live = await ctx.fact(linksFact());
    // NICs found by a match (now or in the files in place) act under the names the kernel gives them
    const prevMatches = new Map([...prevNetworkd.matches, ...(prevNetplan?.matches ?? [])]);
    const drivers = needsDrivers([...args.model.map((l) => l.match), ...prevMatches.values()]) ? await ctx.fact(nicDrivers()) : {};
    const model = liveModel(args.model, live, drivers);
    const nd = await ctx.fact(networkdLinks());
    const drift = liveDrift(model, live, nd, args.renderer);
    for (const r of drift.recreate) recreate.add(r);

    const ports = new Map([...prevNetworkd.ports, ...(prevNetplan?.ports ?? [])]);
    for (const l of model) if (l.master) ports.set(l.name, l.master.name);
    const reconfigure = new Set(drift.reconfigure.filter((n) => !recreate.has(n)));
    for (const [port, master] of ports) if (recreate.has(master) && !recreate.has(port)) reconfigure.add(port);

    // NICs the old or new configuration holds: if they end up unmanaged they get today's state back
    const configOf = new Map<string, string>(); // live NIC → the name of the configuration (file) that held it
    for (const key of [...prevNetworkd.nics, ...(prevNetplan?.nics ?? [])]) for (const n of liveNamesOf(key, prevMatches.get(key), live, drivers)) configOf.set(n, key);
    for (const l of model) if (!isVirtual(l)) configOf.set(l.name, l.config ?? l.name);
    const nics = new Set(configOf.keys());
    const routes = await ctx.fact(routesFact);
    const restore = [...nics]
      .map((name) => live.find((l) => l.name === name))
      .filter((l): l is LinkState => l !== undefined)
      .map((l) => ({
        name: l.name,
        command: restoreLinkCommand(l, routes),
        networkFile: args.renderer === 'networkd' ? networkdFile(configOf.get(l.name) ?? l.name, 'network') : undefined,
      }));

    // other network managers that would configure our links again at boot: refused, or handed over
    const handover = await planHandover(ctx, managers, model.map((l) => l.name), args.takeOver ?? false);

    const networkdActivation = activationScript({
      renderer: args.renderer,
      recreate: [...recreate],
      reconfigure: [...reconfigure],
      watch: model.map((l) => ({
        name: l.name,
        networkFile: args.renderer === 'networkd' ? networkdFile(l.config ?? l.name, 'network') : undefined,
        addresses: l.master ? [] : l.ip.addresses,
      })),
      restore,
      settleTimeout: args.settleTimeout,
    });
    // the hand-over's live half runs after the activation (both directions: it follows the files in place)
    const activate = handover.live ? withAfter(networkdActivation, handover.live) : networkdActivation;

    const liveChanges = [
      ...drift.reasons.map((r) => ({ summary: r })),
      ...[...recreate]
        .filter((n) => !drift.recreate.includes(n) && live.some((l) => l.name === n))
        .map((n) => ({
          summary: newVirtual.has(n) ? `re-create ${n} (its definition changed: an existing netdev is never changed in place)` : `delete ${n} (no longer configured)`,
        })),
    ];
    const stage: Op[] = [
      ...[...wanted].map(([path, content]) =>
        path === NETPLAN_PATH
          ? file({ path, content, owner: 'root', group: 'root', mode: '0600', validate: (tmp) => netplanValidateCommand(tmp, path) })
          : file({ path, content, owner: 'root', group: 'root', mode: '0644' }),
      ),
      ...stale.map((path) => absent({ path })),
      ...handover.ops,
      {
        label: 'live links',
        facts: [],
        plan: async () => (liveChanges.length === 0 ? ok('the live links match the configuration') : change(liveChanges, async () => undefined)), // the activation does it
      },
    ];
    return guarded({
      label: `networking (${args.renderer})`,
      stage,
      paths: [...wanted.keys(), ...stale, ...handover.paths],
      activate,
      rollbackAfterSec: args.rollbackAfter,
      stateDir: args.stateDir,
    });
  }

  return {
    label: `networking (${args.renderer}): ${args.model.map((l) => l.name).join(', ') || 'no links'}`,
    facts,
    async plan(ctx) {
      return (await buildGuarded(ctx)).plan(ctx);
    },
  };
}

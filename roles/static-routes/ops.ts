import { posix } from 'node:path';
import { isCidr, parseCidr } from '../../src/net/address.js';
import { fileInfo } from '../../src/facts/builtin.js';
import { defineFact } from '../../src/facts/fact.js';
import {
  describeRoute,
  destinationFamily,
  effectiveMetric,
  liveRoutes,
  routeDelCommand,
  routeGet,
  routeMatches,
  routeArgs,
  routeReplaceCommand,
  sameRouteKey,
  type LiveRoute,
  type RouteSpec,
} from '../../src/net/ip-route.js';
import { netplanValidateCommand, type NetplanDeviceType } from '../../src/net/netplan.js';
import { NETWORKD_DIR, networkdDropInDir, networkdFile, networkdLinks } from '../../src/net/networkd.js';
import { controllerPath, touchesControllerPath } from '../../src/ops/controller-path.js';
import { absent, change, combinePlans, directory, file, guarded, ok, type Change, type Op, type OpContext, type Plan } from '../../src/ops/index.js';
import { joinCommands, sh, type Command } from '../../src/shell/quote.js';
import { DROP_IN_NAME, IFUPDOWN_HOOKS, NETPLAN_ROUTES_PATH, renderIfupdownHook, renderNetplanRoutes, renderNetworkdRoutes } from './render.js';
import { linkForGateway, type RouteVars, type StaticRoutesVars } from './vars.js';

/** One destination of a route entry (a range expands into several). */
export interface RouteEntry {
  spec: RouteSpec;
  state: 'present' | 'absent';
  /** The subnet whose route gives the interface, when `dev` is not set (`dev_of`). */
  devOf?: string;
}

export function expandRoutes(routes: readonly RouteVars[]): RouteEntry[] {
  return routes.flatMap((r) =>
    r.to.map((to) => ({
      spec: { to, via: r.via, dev: r.dev, metric: r.metric, onlink: r.onlink || undefined, table: r.table, src: r.src },
      state: r.state,
      ...(r.dev_of ? { devOf: r.dev_of } : {}),
    })),
  );
}

/**
 * The egress interface: given; else for `dev_of` the interface of the host's
 * own route to that subnet (the configured link holding it, else the main
 * table's); else the configured link whose subnet holds the gateway, else `ip route get`.
 */
async function resolveDev(ctx: OpContext, entry: RouteEntry, links: StaticRoutesVars['links']): Promise<string | undefined> {
  const { spec, devOf } = entry;
  if (spec.dev) return spec.dev;
  if (devOf) {
    const configured = Object.entries(links).find(([, l]) => l.addresses.some((a) => isCidr(a) && parseCidr(a).text === devOf))?.[0];
    return configured ?? (await ctx.fact(liveRoutes(254))).find((r) => r.to === devOf && !r.via && r.dev)?.dev;
  }
  if (!spec.via) return undefined;
  return linkForGateway(links, spec.via) ?? (await ctx.fact(routeGet(spec.via)))?.dev;
}

function noDev({ spec, devOf }: RouteEntry): string {
  return devOf
    ? `route ${spec.to}: the host has no route to ${devOf} of its own (not on that network), so dev_of finds no interface: set dev`
    : `route ${spec.to}: cannot tell the interface for gateway ${spec.via} (no route to it on the host): set dev`;
}

function routeLines(routes: readonly (RouteSpec | LiveRoute)[]): string | null {
  return routes.length === 0 ? null : `${routes.map(describeRoute).join('\n')}\n`;
}

/** How a route change is made safe: seconds to confirmation, and where the host keeps rollback state. */
export interface RouteGuard {
  rollbackAfterSec: number;
  stateDir?: string;
}

/** `ip route replace` putting a live route back as it was (its own protocol, so a kernel or DHCP route stays one). */
function restoreCommand(l: LiveRoute, table: number | undefined): Command {
  const spec: RouteSpec = { to: l.to, via: l.via, dev: l.dev, metric: l.metric, onlink: l.onlink || undefined, src: l.src, table };
  return sh`ip ${destinationFamily(l.to) === 6 ? '-6' : '-4'} route replace ${routeArgs(spec)} proto ${l.protocol ?? 'static'}`;
}

/**
 * The planned change, applied directly; or, when it touches the path to the
 * controller (a default route, or a route holding the controller's address or
 * its gateway), through `guarded`: run detached, confirmed over a NEW
 * connection, and undone by `undo` unless confirmed.
 */
async function routeChange(ctx: OpContext, label: string, changes: Change[], run: Command[], undo: Command[], to: string, guard: RouteGuard): Promise<Plan> {
  if (!touchesControllerPath(to, await ctx.fact(controllerPath()))) {
    return change(changes, async (c) => {
      for (const cmd of run) await c.run(cmd);
    });
  }
  const planned: Op = { label, facts: [], plan: async () => change(changes, async () => undefined) }; // the activation does it
  return guarded({
    label: `${label} (path to the controller)`,
    stage: [planned],
    paths: [],
    activate: joinCommands(run, ' && '),
    rollback: joinCommands(undo, '; '),
    rollbackAfterSec: guard.rollbackAfterSec,
    stateDir: guard.stateDir,
  }).plan(ctx);
}

/**
 * A route in the kernel table now: `ip route replace` when missing or
 * different, `ip route del` for state absent. A change to the path to the
 * controller is guarded (see routeChange).
 */
export function routeOp(entry: RouteEntry, links: StaticRoutesVars['links'], guard: RouteGuard): Op {
  const { spec, state } = entry;
  const table = spec.table ?? 254;
  const routesFact = liveRoutes(table);
  const facts = [routesFact, controllerPath(), ...(!spec.dev && !entry.devOf && spec.via && !linkForGateway(links, spec.via) ? [routeGet(spec.via)] : []), ...(entry.devOf ? [liveRoutes(254)] : [])];
  const where = `ip route (table ${spec.table ?? 'main'})`;
  const label = `route ${spec.to} ${state}`;
  return {
    label,
    facts,
    async plan(ctx) {
      const live = await ctx.fact(routesFact);
      const dev = await resolveDev(ctx, entry, links);
      if (state === 'absent') {
        const gone = live.filter(
          (l) =>
            l.to === spec.to &&
            (spec.metric === undefined || l.metric === effectiveMetric(spec)) &&
            (spec.via === undefined || l.via === spec.via) &&
            (spec.dev === undefined || l.dev === spec.dev) &&
            l.protocol !== 'kernel',
        );
        if (gone.length === 0) return ok(`no route to ${spec.to} in table ${spec.table ?? 'main'}`);
        return routeChange(
          ctx,
          label,
          gone.map((l) => ({ summary: `delete route ${describeRoute(l)}`, diff: { path: where, before: routeLines([l]), after: null } })),
          gone.map((l) => routeDelCommand({ to: l.to, via: l.via, dev: l.dev, metric: l.metric, table: spec.table })),
          gone.map((l) => restoreCommand(l, spec.table)),
          spec.to,
          guard,
        );
      }
      if (!dev) throw new Error(noDev(entry));
      const want: RouteSpec = { ...spec, dev };
      if (live.some((l) => routeMatches(want, l))) return ok(`route ${describeRoute(want)} is present`);
      const replaced = live.filter((l) => sameRouteKey(want, l));
      return routeChange(
        ctx,
        label,
        [
          {
            summary: replaced.length > 0 ? `replace route ${replaced.map(describeRoute).join(', ')} with ${describeRoute(want)}` : `add route ${describeRoute(want)}`,
            diff: { path: where, before: routeLines(replaced), after: routeLines([want]) },
          },
        ],
        [routeReplaceCommand(want)],
        replaced.length > 0 ? replaced.map((l) => restoreCommand(l, spec.table)) : [routeDelCommand(want)],
        spec.to,
        guard,
      );
    },
  };
}

/** Interfaces ifupdown has a stanza for. */
export const ifupdownInterfaces = defineFact('ifupdown-ifaces', () => ({
  command: sh`for f in /etc/network/interfaces /etc/network/interfaces.d/*; do [ -f "$f" ] && sed -n 's/^[[:space:]]*iface[[:space:]]\\{1,\\}\\([^[:space:]]*\\).*/\\1/p' "$f"; done 2>/dev/null | sort -u`,
  parse: ({ stdout }): string[] => stdout.split('\n').filter(Boolean),
}));

/** Our networkd route drop-ins, wherever they are now (to remove the stale ones). */
export const persistedRouteFiles = defineFact('static-routes-files', () => ({
  command: sh`find ${NETWORKD_DIR} -mindepth 2 -maxdepth 2 -type f -path ${`*.network.d/${DROP_IN_NAME}`} 2>/dev/null; true`,
  parse: ({ stdout }): string[] => stdout.split('\n').filter(Boolean).sort(),
}));

export type Persisted = 'networkd' | 'netplan' | 'ifupdown' | 'none';

/** Where each present route persists. */
export interface PersistPlan {
  networkd: Map<string, RouteSpec[]>; // drop-in path → routes
  netplan: Map<string, { type: NetplanDeviceType; routes: RouteSpec[] }>; // dev → routes
  ifupdown: Map<string, RouteSpec[]>; // dev → routes
  none: RouteSpec[];
}

const NETPLAN_GENERATED = '/run/systemd/network/10-netplan-';

/** Decides, per present route, the renderer and file (reads networkctl/ifupdown facts only in `auto` mode or when needed). */
export async function persistPlan(ctx: OpContext, vars: StaticRoutesVars): Promise<PersistPlan> {
  const out: PersistPlan = { networkd: new Map(), netplan: new Map(), ifupdown: new Map(), none: [] };
  for (const e of expandRoutes(vars.routes)) {
    if (e.state !== 'present') continue;
    const dev = await resolveDev(ctx, e, vars.links);
    if (!dev) throw new Error(noDev(e));
    const spec = { ...e.spec, dev };
    let renderer: Persisted;
    let networkFile: string | undefined;
    if (vars.network_files[dev]) networkFile = posix.join(NETWORKD_DIR, vars.network_files[dev]);
    else if (vars.links[dev]) networkFile = networkdFile(dev, 'network');
    if (vars.renderer !== 'auto') renderer = vars.renderer;
    else {
      const nd = (await ctx.fact(networkdLinks())).find((l) => l.name === dev);
      if (nd?.networkFile?.startsWith(NETPLAN_GENERATED)) renderer = 'netplan';
      else if (nd?.networkFile) {
        renderer = 'networkd';
        networkFile ??= nd.networkFile;
      } else if ((await ctx.fact(ifupdownInterfaces())).includes(dev)) renderer = 'ifupdown';
      else renderer = 'none';
    }
    if (renderer === 'networkd') {
      if (!networkFile) {
        const nd = (await ctx.fact(networkdLinks())).find((l) => l.name === dev);
        networkFile = nd?.networkFile;
      }
      if (!networkFile) {
        throw new Error(`route ${describeRoute(spec)}: ${dev} is not managed by systemd-networkd, so its routes cannot persist in a drop-in of its .network file (configure ${dev} with the networking role, set static_routes.network_files.${dev}, or choose another renderer)`);
      }
      const path = posix.join(networkdDropInDir(networkFile), DROP_IN_NAME);
      out.networkd.set(path, [...(out.networkd.get(path) ?? []), spec]);
    } else if (renderer === 'netplan') {
      const t = vars.links[dev]?.type;
      if (t === 'dummies') throw new Error(`route ${describeRoute(spec)}: ${dev} is a dummy link, which Netplan does not define`);
      const type: NetplanDeviceType = t ?? 'ethernets';
      const cur = out.netplan.get(dev) ?? { type, routes: [] };
      cur.routes.push(spec);
      out.netplan.set(dev, cur);
    } else if (renderer === 'ifupdown') out.ifupdown.set(dev, [...(out.ifupdown.get(dev) ?? []), spec]);
    else out.none.push(spec);
  }
  return out;
}

/** Builds the file operations of one renderer at plan time and plans them together. */
function dynamicOp(label: string, facts: Op['facts'], build: (ctx: OpContext) => Promise<Op[]>): Op {
  return {
    label,
    facts,
    async plan(ctx) {
      const ops = await build(ctx);
      if (ops.length === 0) return ok(`${label}: nothing to persist`);
      return combinePlans(await Promise.all(ops.map((o) => o.plan(ctx))));
    },
  };
}

const baseFacts = [persistedRouteFiles(), networkdLinks()];
/** baseFacts and the files an op may write or remove at fixed paths: read with the others, not one round trip each when planning. */
const withFiles = (...paths: string[]) => [...baseFacts, ...paths.map((path) => fileInfo(path))];

/** networkd drop-ins `<link>.network.d/60-labwright-routes.conf` (stale ones removed). */
export function networkdRoutesOp(vars: StaticRoutesVars): Op {
  return dynamicOp('networkd route drop-ins', baseFacts, async (ctx) => {
    const plan = await persistPlan(ctx, vars);
    const present = (await ctx.fact(persistedRouteFiles())).filter((p) => p.startsWith(`${NETWORKD_DIR}/`));
    return [
      ...[...plan.networkd].flatMap(([path, routes]) => [
        directory({ path: posix.dirname(path), owner: 'root', group: 'root', mode: '0755' }),
        file({ path, content: renderNetworkdRoutes(routes), owner: 'root', group: 'root', mode: '0644' }),
      ]),
      ...present.filter((p) => !plan.networkd.has(p)).map((path) => absent({ path })),
    ];
  });
}

/** /etc/netplan/70-labwright-routes.yaml, validated with `netplan generate` over all Netplan files. */
export function netplanRoutesOp(vars: StaticRoutesVars): Op {
  return dynamicOp('Netplan routes', withFiles(NETPLAN_ROUTES_PATH), async (ctx) => {
    const plan = await persistPlan(ctx, vars);
    if (plan.netplan.size === 0) return [absent({ path: NETPLAN_ROUTES_PATH })];
    return [
      file({
        path: NETPLAN_ROUTES_PATH,
        content: renderNetplanRoutes(plan.netplan),
        owner: 'root',
        group: 'root',
        mode: '0600',
        validate: (tmp) => netplanValidateCommand(tmp, NETPLAN_ROUTES_PATH),
      }),
    ];
  });
}

/** ifupdown hooks /etc/network/if-up.d/labwright-routes and if-down.d/labwright-routes (removed when no route needs them). */
export function ifupdownRoutesOp(vars: StaticRoutesVars): Op {
  return dynamicOp('ifupdown route hooks', withFiles(IFUPDOWN_HOOKS.up, IFUPDOWN_HOOKS.down), async (ctx) => {
    const plan = await persistPlan(ctx, vars);
    if (plan.ifupdown.size === 0) return [absent({ path: IFUPDOWN_HOOKS.up }), absent({ path: IFUPDOWN_HOOKS.down })];
    return (['up', 'down'] as const).map((phase) =>
      file({
        path: IFUPDOWN_HOOKS[phase],
        content: renderIfupdownHook(phase, plan.ifupdown),
        owner: 'root',
        group: 'root',
        mode: '0755',
        validate: (tmp) => sh`sh -n ${tmp}`,
      }),
    );
  });
}

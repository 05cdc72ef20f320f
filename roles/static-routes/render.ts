import { stringify } from 'yaml';
import { routeDelCommand, routeReplaceCommand, type RouteSpec } from '../../src/net/ip-route.js';
import { renderIni, type IniSection } from '../../src/net/networkd.js';
import type { NetplanDeviceType } from '../../src/net/netplan.js';

export const HEADER = '# Managed by labwright (role static-routes): local changes are overwritten.\n';
export const DROP_IN_NAME = '60-labwright-routes.conf';
export const NETPLAN_ROUTES_PATH = '/etc/netplan/70-labwright-routes.yaml';
/** ifupdown hooks (no dot in the name: run-parts would skip it). */
export const IFUPDOWN_HOOKS = { up: '/etc/network/if-up.d/labwright-routes', down: '/etc/network/if-down.d/labwright-routes' } as const;

function fullDestination(to: string): string {
  return to === 'default' ? '0.0.0.0/0' : to === 'default6' ? '::/0' : to;
}

/** networkd drop-in: one [Route] section per route (the link's own file stays the networking role's). */
export function renderNetworkdRoutes(routes: readonly RouteSpec[]): string {
  const sections: IniSection[] = routes.map((r) => ({
    name: 'Route',
    entries: [
      ['Destination', fullDestination(r.to)],
      ['Gateway', r.via],
      ['GatewayOnLink', r.onlink ? true : undefined],
      ['Scope', r.via ? undefined : 'link'],
      ['Metric', r.metric],
      ['Table', r.table],
      ['PreferredSource', r.src],
    ],
  }));
  return renderIni(HEADER, sections);
}

/** Netplan: the routes of each link under its section; Netplan appends them to the link's own routes. */
export function renderNetplanRoutes(byDev: ReadonlyMap<string, { type: NetplanDeviceType; routes: readonly RouteSpec[] }>): string {
  const network: Record<string, unknown> = { version: 2 };
  for (const [dev, { type, routes }] of [...byDev].sort(([a], [b]) => a.localeCompare(b))) {
    const section = (network[type] ??= {}) as Record<string, unknown>;
    section[dev] = {
      routes: routes.map((r) => ({
        to: r.to === 'default' || r.to === 'default6' ? 'default' : r.to,
        ...(r.via ? { via: r.via } : { scope: 'link' }),
        ...(r.metric !== undefined ? { metric: r.metric } : {}),
        ...(r.onlink ? { 'on-link': true } : {}),
        ...(r.table !== undefined ? { table: r.table } : {}),
        ...(r.src ? { from: r.src } : {}),
      })),
    };
  }
  return HEADER + stringify({ network }, { lineWidth: 0 });
}

/**
 * ifupdown: hook scripts run after every `ifup` / before every `ifdown` of an
 * interface (run-parts of /etc/network/if-up.d and if-down.d, with $IFACE set),
 * doing what `post-up ip route replace …` / `pre-down ip route del … || true`
 * lines would. Not an extra `iface` stanza in interfaces.d: ifupdown applies an
 * interface's stanzas in file order, and Debian's /etc/network/interfaces
 * sources interfaces.d BEFORE its own stanzas, so such a post-up runs before
 * the interface has its address and a route via a gateway fails. The hooks
 * run after each stanza, so the last run sees the interface complete.
 * Every command ends in `|| true`: a failing hook would fail the whole ifup.
 */
export function renderIfupdownHook(phase: 'up' | 'down', byDev: ReadonlyMap<string, readonly RouteSpec[]>): string {
  const cases = [...byDev]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dev, routes]) => {
      const cmds = routes.map((r) => `    ${(phase === 'up' ? routeReplaceCommand({ ...r, dev }) : routeDelCommand({ ...r, dev })).text} 2>/dev/null || true`);
      return `  ${dev})\n${cmds.join('\n')}\n    ;;`;
    });
  return `#!/bin/sh
${HEADER}# ${phase === 'up' ? 'post-up: routes of the interface that came up' : 'pre-down: routes of the interface going down'} (role static-routes).
case "$IFACE" in
${cases.join('\n')}
esac
exit 0
`;
}

import { defineRole } from '../../src/engine/definitions.js';
import { command } from '../../src/ops/index.js';
import { sh } from '../../src/shell/quote.js';
import { expandRoutes, ifupdownRoutesOp, netplanRoutesOp, networkdRoutesOp, routeOp } from './ops.js';
import { routeClaims } from './claims.js';
import { staticRoutesDefaults, staticRoutesVars } from './vars.js';

/**
 * Static routes: `ip route replace` now (planned from the live table, so a
 * route that is there is not touched; a change to the path to the controller
 * guarded by a timed rollback unless a new connection confirms it) and persisted where the link's
 * configuration lives — a networkd drop-in, a Netplan file, or an ifupdown
 * stanza — so they come back after a reboot or a network restart.
 */
export const staticRoutes = defineRole({
  name: 'static-routes',
  vars: staticRoutesVars,
  defaults: staticRoutesDefaults,
  // For the plan check: each route through a gateway (it must be on one of the host's networks), and the networks of its links.
  addressPlan: ({ vars, host }) => routeClaims(vars, host.name),
  tasks: ({ task }) => [
    // live first: a change to the path to the controller is confirmed (or rolled back, failing the
    // host) before any file makes it come back at the next boot or network restart
    task(
      'routes in the kernel table',
      ({ vars, host }) =>
        expandRoutes(vars.routes).map((e) =>
          routeOp(e, vars.links, {
            rollbackAfterSec: vars.rollback_after,
            stateDir: typeof host.vars.labwright_state_dir === 'string' ? host.vars.labwright_state_dir : undefined,
          }),
        ),
      {
        when: ({ vars }) => vars.routes.length > 0,
        tags: ['static-routes:runtime'],
      },
    ),
    task('routes persisted for systemd-networkd', ({ vars }) => networkdRoutesOp(vars), {
      notify: ['reload systemd-networkd'],
      tags: ['static-routes:persist'],
    }),
    task('routes persisted for Netplan', ({ vars }) => netplanRoutesOp(vars), {
      notify: ['regenerate Netplan'],
      tags: ['static-routes:persist'],
    }),
    task('routes persisted for ifupdown', ({ vars }) => ifupdownRoutesOp(vars), { tags: ['static-routes:persist'] }),
  ],
  handlers: ({ handler }) => [
    // a changed drop-in counts as a changed .network: reload reconfigures that link only
    handler('reload systemd-networkd', () => command({ run: sh`networkctl reload` })),
    handler('regenerate Netplan', () => command({ run: sh`netplan generate && networkctl reload` })),
  ],
});

export { staticRoutesVars } from './vars.js';

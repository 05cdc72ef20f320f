import { defineRole } from '../../src/engine/definitions.js';
import { apt, service } from '../../src/ops/index.js';
import { networkConfig } from './config-op.js';
import { buildModel } from './model.js';
import { networkingVars } from './vars.js';

/**
 * Bridges, bonds, VLANs, dummies and NIC addresses through systemd-networkd
 * (default) or Netplan. Only the links named in the vars are touched. The
 * files and their activation are one guarded change: applied detached, with a
 * rollback timer armed, confirmed over a NEW SSH connection, and undone
 * (files and live addresses) when that connection cannot be made.
 */
export const networking = defineRole({
  name: 'networking',
  vars: networkingVars,
  tasks: ({ task }) => [
    task('netplan installed', () => apt({ packages: ['netplan.io'] }), {
      when: ({ vars }) => vars.renderer === 'netplan',
      tags: ['networking:packages'],
    }),
    // networkd must run for `networkctl reload`; it manages only links a .network file matches
    task('systemd-networkd enabled and running', () => service({ name: 'systemd-networkd', enabled: true, state: 'started' }), {
      tags: ['networking:service'],
    }),
    task(
      'links configured (lock-out safe)',
      ({ vars, host }) =>
        networkConfig({
          renderer: vars.renderer,
          model: buildModel(vars),
          rollbackAfter: vars.rollback_after,
          settleTimeout: vars.settle_timeout,
          stateDir: typeof host.vars.labwright_state_dir === 'string' ? host.vars.labwright_state_dir : undefined,
        }),
      { tags: ['networking:config'] },
    ),
  ],
});

export { networkingVars } from './vars.js';

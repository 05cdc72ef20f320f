import { posix } from 'node:path';
import { apt, defineRole, directory, service, sysctls, template } from '../../src/index.js';
import { nftOwnedTable } from '../../src/ops/nft-table.js';
import { forwardingSysctls } from './forward.js';
import { renderRuleset, resolve, TABLE } from './ruleset.js';
import { firewallDefaults, firewallVars } from './vars.js';

export const UNIT = 'labwright-firewall.service';
export const FORWARDING_SYSCTL_FILE = '/etc/sysctl.d/60-labwright-forwarding.conf';
const UNIT_PATH = `/etc/systemd/system/${UNIT}`;

/**
 * Host firewall with nftables: one table of our own (`table inet labwright`,
 * input policy drop) replaced atomically, validated with `nft -c`, activated
 * with a timed rollback that only a NEW SSH connection can cancel, and loaded
 * at boot by a small unit. Kubernetes, Calico and Docker tables are untouched.
 * On a router (firewall.forwarding), the same table also filters forwarded
 * traffic between named segments, masquerades and forwards ports, and the
 * kernel's IP forwarding is turned on.
 */
export const firewall = defineRole({
  name: 'firewall',
  vars: firewallVars,
  defaults: firewallDefaults,
  tasks: ({ task }) => [
    task('nftables installed', () => apt({ packages: ['nftables'] }), { tags: ['firewall:packages'] }),
    task('rules directory', ({ vars }) => directory({ path: posix.dirname(vars.rules_path), owner: 'root', group: 'root', mode: '0755' }), {
      tags: ['firewall:rules'],
    }),
    task(
      'boot unit',
      ({ vars }) =>
        template({
          path: UNIT_PATH,
          src: new URL('./templates/labwright-firewall.service.hbs', import.meta.url),
          data: { rulesPath: vars.rules_path, table: TABLE },
          owner: 'root',
          group: 'root',
          mode: '0644',
        }),
      { tags: ['firewall:boot'] },
    ),
    task(
      'ruleset (validated, rolled back unless a new connection confirms it)',
      ({ host, vars, inventory }) =>
        nftOwnedTable({
          family: 'inet',
          table: TABLE,
          path: vars.rules_path,
          content: renderRuleset(resolve(vars, host, inventory)),
          rollbackAfterSec: vars.rollback_after_sec,
          stateDir: typeof host.vars.labwright_state_dir === 'string' ? host.vars.labwright_state_dir : undefined,
        }),
      { tags: ['firewall:rules'] },
    ),
    // after the ruleset: the forward chain (policy drop) is live before the kernel starts forwarding
    task('IP forwarding on (the host routes between segments)', ({ vars }) => sysctls({ values: forwardingSysctls(vars)!, file: FORWARDING_SYSCTL_FILE }), {
      when: ({ vars }) => forwardingSysctls(vars) !== undefined,
      tags: ['firewall:forwarding'],
    }),
    task('loaded at boot', () => service({ name: UNIT, enabled: true, state: 'started' }), { tags: ['firewall:boot'] }),
  ],
});

export default firewall;

import { defineRole } from '../../src/engine/definitions.js';
import { interfaces } from '../../src/facts/builtin.js';
import { apt, renderTemplate, service } from '../../src/ops/index.js';
import { factFile } from '../../src/ops/fact-file.js';
import { sh } from '../../src/shell/quote.js';
import { keepalivedClaims, keepalivedModel, trackScript } from './model.js';
import { keepalivedVars } from './vars.js';

export const TEMPLATE = new URL('./templates/keepalived.conf.hbs', import.meta.url);

/** The configuration text for a model (exported for the unit tests). */
export function renderKeepalivedConfig(model: object): string {
  return renderTemplate(TEMPLATE, model);
}

/**
 * keepalived holding one VRRP VIP for a group of hosts: peers, priorities and
 * the VRID derived from the inventory, the interface from the host's
 * addresses, unicast adverts, a health check (the API answers /readyz through
 * haproxy by default) and the backend-facing NIC tracked, so the VIP leaves a
 * host that cannot reach the API,
 * config validated with `keepalived -t` and applied with a reload (SIGHUP).
 */
export const keepalived = defineRole({
  name: 'keepalived',
  vars: keepalivedVars,
  addressPlan: ({ vars, host }) => keepalivedClaims(vars, host),
  tasks: ({ task }) => [
    task(
      'install keepalived',
      // curl for the default health check (a Debian minimal install has none)
      ({ vars, host }) => apt({ packages: [vars.package, ...(trackScript(vars, host)?.startsWith('/usr/bin/curl ') ? ['curl'] : [])] }),
      { tags: ['keepalived:install'] },
    ),
    task(
      'write keepalived.conf',
      ({ vars, host, inventory }) =>
        factFile({
          label: `template ${vars.config_path}`,
          path: vars.config_path,
          owner: 'root',
          group: 'root',
          // auth_pass is in it
          mode: '0600',
          facts: [interfaces()],
          render: (ifaces) => renderKeepalivedConfig(keepalivedModel(vars, host, inventory, ifaces)),
          // -t checks the file given with -f (--config-test=FILE would name a log file); any problem exits non-zero
          validate: (tmp) => sh`keepalived -t -f ${tmp}`,
        }),
      { notify: ['reload keepalived'], tags: ['keepalived:config'] },
    ),
    task('keepalived running and enabled', () => service({ name: 'keepalived', state: 'started', enabled: true }), {
      tags: ['keepalived:service'],
    }),
  ],
  handlers: ({ handler }) => [
    // The Debian unit's reload is SIGHUP: keepalived re-reads its config and keeps the VIP where it is.
    handler('reload keepalived', () => service({ name: 'keepalived', state: 'reloaded' })),
  ],
});

export default keepalived;

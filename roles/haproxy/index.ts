import { defineRole } from '../../src/engine/definitions.js';
import type { Host } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import { defaultHaproxyApiPort } from '../../src/net/control-plane-endpoint.js';
import { hostAddress, isIpv4 } from '../../src/net/host-address.js';
import { apt, renderTemplate, service, sysctl } from '../../src/ops/index.js';
import { factFile } from '../../src/ops/fact-file.js';
import { sh } from '../../src/shell/quote.js';
import { haproxyBuild } from './facts.js';
import { haproxyClaims, haproxyModel, wantsNonlocalBind } from './model.js';
import { haproxyVars } from './vars.js';

export const TEMPLATE = new URL('./templates/haproxy.cfg.hbs', import.meta.url);

/** The configuration text for a model (exported for the unit tests). */
export function renderHaproxyConfig(model: object): string {
  return renderTemplate(TEMPLATE, model);
}

/**
 * Defaults from the shared `cluster` var: the API backends are the cluster's
 * control plane group, the ingress backends its worker group, and the API
 * frontend listens on the port of `cluster.control_plane_endpoint` when set,
 * else 6443 — on a control plane 8443, since kube-apiserver holds 6443 there;
 * metrics and stats listen on the host's inventory address.
 */
export function haproxyDefaults(host: Host): Record<string, unknown> {
  const cluster = clusterOf(host);
  const own = hostAddress(host);
  return {
    api: { group: cluster.control_plane_group, port: defaultHaproxyApiPort(host) },
    ingress: { group: cluster.worker_group },
    // stats and metrics on the management address only (the firewall opens it to the cluster and admin networks)
    ...(isIpv4(own) ? { metrics: { bind: own } } : {}),
  };
}

/**
 * HAProxy in front of the Kubernetes API (and optionally the ingress
 * NodePorts): backends from inventory group membership, health checks,
 * metrics, config validated with `haproxy -c` and applied with a graceful
 * reload.
 */
export const haproxy = defineRole({
  name: 'haproxy',
  vars: haproxyVars,
  defaults: haproxyDefaults,
  addressPlan: ({ vars, host }) => haproxyClaims(vars, host),
  tasks: ({ task }) => [
    task('install haproxy', ({ vars }) => apt({ packages: [vars.package] }), { tags: ['haproxy:install'] }),
    task(
      'allow binding addresses the host does not hold (VIP)',
      () => sysctl({ name: 'net.ipv4.ip_nonlocal_bind', value: 1, file: '/etc/sysctl.d/60-haproxy.conf' }),
      { when: ({ vars, host }) => wantsNonlocalBind(vars, host), tags: ['haproxy:sysctl'] },
    ),
    task(
      'write haproxy.cfg',
      ({ vars, inventory }) =>
        factFile({
          label: `template ${vars.config_path}`,
          path: vars.config_path,
          owner: 'root',
          group: 'root',
          mode: '0644',
          facts: [haproxyBuild()],
          render: (build) => {
            const { model, assumption } = haproxyModel(vars, inventory, build);
            return { content: renderHaproxyConfig(model), assumption };
          },
          validate: (tmp) => sh`haproxy -c -f ${tmp}`,
        }),
      { notify: ['reload haproxy'], tags: ['haproxy:config'] },
    ),
    task('haproxy running and enabled', () => service({ name: 'haproxy', state: 'started', enabled: true }), { tags: ['haproxy:service'] }),
  ],
  handlers: ({ handler }) => [
    // The Debian unit's reload runs `haproxy -c` again, then USR2 to the master: new workers, old ones finish their connections.
    handler('reload haproxy', () => service({ name: 'haproxy', state: 'reloaded' })),
  ],
});

export default haproxy;

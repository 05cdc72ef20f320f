import { defineRole } from '../../src/engine/definitions.js';
import { parseCidr } from '../../src/net/address.js';
import { hostAddresses, macOf } from '../../src/net/lan.js';
import { apt, service } from '../../src/ops/index.js';
import { networkConfig } from './config-op.js';
import type { Host } from '../../src/inventory/types.js';
import { buildModel, type Link } from './model.js';
import { networkingVars, type NetworkingVars } from './vars.js';

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
  // For the plan check: the MTU of every configured link on each network it has an address in
  // (unset = Linux's 1500), so one node at 9000 on a 1500 network is refused before anything runs.
  // And each network a link attaches the host to (static routes' gateways and L2 pools must be on one).
  addressPlan: ({ host, vars }) =>
    [vars.interfaces, vars.bridges, vars.bonds, vars.vlans, vars.dummies].flatMap((links) =>
      Object.entries(links).flatMap(([name, link]) =>
        link.addresses.flatMap((address) => {
          const by = `networking on ${host.name}`;
          const network = parseCidr(address).text;
          return [
            { kind: 'mtu' as const, by, network, mtu: link.mtu ?? 1500, host: host.name },
            { kind: 'segment' as const, by, host: host.name, cidr: network, link: name },
          ];
        }),
      ),
    ),
  tasks: ({ task }) => [
    task('netplan installed', () => apt({ packages: ['netplan.io'] }), {
      when: ({ vars }) => vars.renderer === 'netplan',
      tags: ['networking:packages'],
    }),
    // networkd must run for `networkctl reload`; it manages only links a .network file matches.
    // Not enabled on a host with no links in the vars: systemd-networkd-wait-online would then wait
    // its full 2 minutes for links it does not manage, delaying every unit ordered after
    // network-online.target (haproxy's start took 2 minutes in the site lab test).
    task('systemd-networkd enabled and running', () => service({ name: 'systemd-networkd', enabled: true, state: 'started' }), {
      when: ({ vars }) => managesLinks(vars),
      tags: ['networking:service'],
    }),
    task(
      'links configured (lock-out safe)',
      ({ vars, host }) =>
        networkConfig({
          renderer: vars.renderer,
          model: modelFor(vars, host),
          rollbackAfter: vars.rollback_after,
          settleTimeout: vars.settle_timeout,
          takeOver: vars.take_over,
          stateDir: typeof host.vars.labwright_state_dir === 'string' ? host.vars.labwright_state_dir : undefined,
        }),
      { tags: ['networking:config'] },
    ),
  ],
});

/** The links for `host`: its bridges' MACs pinned from its `mac` var and addresses (see pinnedBridgeMac). */
export function modelFor(vars: NetworkingVars, host: Host): Link[] {
  return buildModel(vars, { name: host.name, mac: macOf(host), addresses: hostAddresses(host) });
}

/** Whether the vars name any link (a host with none keeps its network untouched). */
function managesLinks(vars: NetworkingVars): boolean {
  return [vars.interfaces, vars.bridges, vars.bonds, vars.vlans, vars.dummies].some((links) => Object.keys(links).length > 0);
}

export { networkingVars } from './vars.js';

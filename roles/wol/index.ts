import { defineRole } from '../../src/engine/definitions.js';
import { macOf } from '../../src/net/lan.js';
import { factFile } from '../../src/ops/fact-file.js';
import { apt } from '../../src/ops/index.js';
import type { Host } from '../../src/inventory/types.js';
import { netplanWol } from './netplan.js';
import { chooseNic, nicWakeOnMagic, nicWol, renderLinkFile, wake } from './ops.js';
import { wakeTargets, wolDefaults, wolVars, type WolVars } from './vars.js';

export const LINK_FILE = '/etc/systemd/network/50-labwright-wol.link';

/** Which NIC a target configures: `wol.interface`, else the physical NIC carrying its `mac`. */
function nicSelect(vars: WolVars, host: Host): { mac?: string; interface?: string } {
  if (vars.interface) return { interface: vars.interface };
  const mac = macOf(host);
  if (!mac) throw new Error(`host ${host.name} has no \`mac\` var (nor wol.interface): cannot tell which NIC should wake`);
  return { mac };
}

/**
 * Wake-on-LAN. On a sender (the controller or a relay host on the targets'
 * network) with `wol.targets` set: sends each target's magic packet to its
 * subnet-directed broadcast. On a target with `wol.enable`: turns magic-packet
 * wake on for its NIC now and at boot. playbooks/wake.ts composes the first.
 */
export const wol = defineRole({
  name: 'wol',
  vars: wolVars,
  defaults: wolDefaults,
  tasks: ({ task }) => [
    task('ethtool', () => apt({ packages: ['ethtool'] }), { when: ({ vars }) => vars.enable, tags: ['wol:enable'] }),
    task('magic-packet wake on the NIC', ({ vars, host }) => nicWakeOnMagic(host.name, nicSelect(vars, host)), {
      when: ({ vars }) => vars.enable,
      tags: ['wol:enable'],
    }),
    task(
      'magic-packet wake at boot',
      ({ vars, host }) => {
        const select = nicSelect(vars, host);
        return factFile({
          label: `file ${LINK_FILE}`,
          path: LINK_FILE,
          owner: 'root',
          group: 'root',
          mode: '0644',
          facts: [nicWol(select)],
          render: (nics) => renderLinkFile(chooseNic(nics, host.name, select)),
        });
      },
      { when: ({ vars }) => vars.enable, tags: ['wol:enable'] },
    ),
    // on a Netplan host whose Netplan defines the NIC, Netplan's 10-netplan-<id>.link (WakeOnLan=off) wins over ours
    task('magic-packet wake at boot (Netplan)', ({ vars, host }) => netplanWol(host.name, nicSelect(vars, host)), {
      when: ({ vars }) => vars.enable,
      tags: ['wol:enable'],
    }),
    task('send magic packets', ({ vars, inventory }) => wake(wakeTargets(inventory, vars.targets!), vars.tool), {
      when: ({ vars }) => vars.targets !== undefined,
      tags: ['wol:wake'],
    }),
  ],
});

export default wol;

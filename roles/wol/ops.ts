import { interfaces } from '../../src/facts/builtin.js';
import { defineFact } from '../../src/facts/fact.js';
import { interfaceInSubnet } from '../../src/net/lan.js';
import { relaySend, sendFromHere, type MagicSend, type SendTool } from '../../src/net/wol.js';
import { change, ok, type Op } from '../../src/ops/op.js';
import { sh } from '../../src/shell/quote.js';
import type { WakeTarget } from './vars.js';

/**
 * Sends the targets' magic packets from the host the task runs on: from the
 * controller process itself (Node dgram) when the host is the controller
 * (`ansible_connection: local`), else with one command on that host.
 * Waking is an action, not a state: it is always a change, and check mode
 * lists the packets it would send. Refuses to send a directed broadcast from
 * a host that is not on the target's network (routers drop them), unless the
 * target says `wol.routed: true`.
 */
export function wake(targets: readonly WakeTarget[], tool: SendTool = 'auto'): Op {
  const ifaces = interfaces();
  return {
    label: `wake ${targets.map((t) => t.name).join(', ')}`,
    facts: [ifaces],
    async plan(ctx) {
      const local = ctx.host.connection.kind === 'local';
      const mine = await ctx.fact(ifaces);
      // `ip` missing (a macOS controller): the check cannot be made, the send still can
      const offLink = mine.length === 0 ? [] : targets.filter((t) => !t.routed && t.subnet && !interfaceInSubnet(mine, t.subnet));
      if (offLink.length > 0) {
        const where = offLink.map((t) => `${t.name} (${t.subnet})`).join(', ');
        throw new Error(
          `${ctx.host.name} has no address on the network of ${where}: routers do not forward directed broadcasts, so the packet would not arrive. ` +
            'Send from a host on that network (wol.via on the target) or set wol.routed: true on the target if its router forwards them',
        );
      }
      const from = local ? 'from the controller' : `from ${ctx.host.name}`;
      const sends: MagicSend[] = targets.map((t) => ({ packet: t.packet, address: t.address, port: t.port, secret: t.password !== undefined }));
      return change(
        targets.map((t) => ({ summary: `magic packet for ${t.name} (${t.mac}${t.password ? ', SecureOn' : ''}): ${t.packet.length} bytes to ${t.address}:${t.port} ${from}` })),
        async (c) => {
          if (local) await sendFromHere(sends);
          else {
            const { command, stdin } = relaySend(sends, tool);
            await c.run(command, { stdin });
          }
        },
      );
    },
  };
}

/** A physical NIC (one with a device behind it: not a bridge, bond, VLAN or veth) and its Wake-on-LAN state. */
export interface NicWol {
  nic: string;
  mac: string;
  /** ethtool's "Supports Wake-on" letters (g = magic packet); '' when not reported. */
  supports: string;
  /** ethtool's "Wake-on" letters (d = disabled). */
  current: string;
}

/** Physical NICs with this MAC (or the named interface), with ethtool's Wake-on lines. */
export const nicWol = defineFact('nicWol', (select: { mac?: string; interface?: string }) => ({
  command: select.interface
    ? sh`d=/sys/class/net/${select.interface}; if [ -e "$d" ]; then echo "nic $(basename "$d") $(cat "$d/address")"; ethtool "$(basename "$d")" 2>/dev/null | grep -E '^[[:space:]]*(Supports Wake-on|Wake-on):' || true; fi`
    : sh`for d in /sys/class/net/*; do [ -e "$d/device" ] || continue; [ "$(cat "$d/address" 2>/dev/null)" = ${select.mac ?? ''} ] || continue; echo "nic $(basename "$d") $(cat "$d/address")"; ethtool "$(basename "$d")" 2>/dev/null | grep -E '^[[:space:]]*(Supports Wake-on|Wake-on):' || true; done`,
  parse({ stdout }): NicWol[] {
    const out: NicWol[] = [];
    for (const line of stdout.split('\n').map((l) => l.trim())) {
      const nic = /^nic (\S+) (\S+)$/.exec(line);
      if (nic) out.push({ nic: nic[1]!, mac: nic[2]!, supports: '', current: '' });
      const supports = /^Supports Wake-on:\s*(\S*)/.exec(line);
      if (supports && out.length) out[out.length - 1]!.supports = supports[1]!;
      const current = /^Wake-on:\s*(\S*)/.exec(line);
      if (current && out.length) out[out.length - 1]!.current = current[1]!;
    }
    return out;
  },
}));

/** The one NIC to configure, or an error saying why there is none. */
export function chooseNic(nics: readonly NicWol[], hostName: string, select: { mac?: string; interface?: string }): NicWol {
  const what = select.interface ? `interface ${select.interface}` : `physical NIC with MAC ${select.mac}`;
  if (nics.length === 0) throw new Error(`${hostName} has no ${what}${select.interface ? '' : ' (bridges, bonds, VLANs and veths do not count): set wol.interface'}`);
  if (nics.length > 1) throw new Error(`${hostName} has several NICs with MAC ${select.mac} (${nics.map((n) => n.nic).join(', ')}): set wol.interface`);
  const nic = nics[0]!;
  if (!nic.supports.includes('g')) {
    throw new Error(`${hostName}: ${nic.nic} cannot wake on a magic packet (ethtool: Supports Wake-on: ${nic.supports || 'not reported'})`);
  }
  return nic;
}

/** Magic-packet wake on the NIC now (`ethtool -s IF wol g`). */
export function nicWakeOnMagic(hostName: string, select: { mac?: string; interface?: string }): Op {
  const fact = nicWol(select);
  return {
    label: `wake-on-lan on ${select.interface ?? select.mac}`,
    facts: [fact],
    async plan(ctx) {
      const nic = chooseNic(await ctx.fact(fact), hostName, select);
      if (nic.current.includes('g')) return ok(`${nic.nic} already wakes on magic packets (Wake-on: ${nic.current})`);
      return change({ summary: `${nic.nic}: Wake-on ${nic.current || '?'} → g (ethtool -s ${nic.nic} wol g)` }, async (c) => {
        await c.run(sh`ethtool -s ${nic.nic} wol g`);
      });
    },
  };
}

/** The .link file keeping magic-packet wake on at boot: the NIC matched by MAC, Debian's naming policy kept. */
export function renderLinkFile(nic: NicWol): string {
  return `# Managed by labwright (role wol): magic-packet wake for ${nic.nic} at every boot.
# The [Link] naming lines repeat 99-default.link: the first matching .link file is
# the only one applied, and the NIC must keep its name.
[Match]
MACAddress=${nic.mac}

[Link]
NamePolicy=keep kernel database onboard slot path
AlternativeNamesPolicy=database onboard slot path
MACAddressPolicy=persistent
WakeOnLan=magic
`;
}

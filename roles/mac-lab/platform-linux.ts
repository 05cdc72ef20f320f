import { defineFact } from '../../src/facts/fact.js';
import { renderTemplate } from '../../src/ops/template.js';
import { sh } from '../../src/shell/quote.js';
import type { DaemonState, LabPaths, NetInterface, Platform, UdpSocket, VmnetWant } from './platform.js';

/**
 * The Linux analogue of the Mac (the lab test's hosts): a systemd unit that
 * creates the bridge with the gateway address stands in for socket_vmnet,
 * Debian's dnsmasq for Homebrew's, `ip`/`ss`/`systemctl` for
 * `ifconfig`/`lsof`/`launchctl`. The dance (dance.ts) is the same code.
 */

export const BRIDGE_UNIT = 'labwright-lab-bridge.service';
export const DEFAULT_LINUX_BRIDGE = 'br-lab';
const unitTemplate = new URL('./templates/lab-bridge.service.hbs', import.meta.url);

export const LINUX_PATHS: LabPaths = {
  fragment: '/etc/dnsmasq.d/labwright-mac-lab.conf',
  dataDir: '/etc/dnsmasq.labwright-mac-lab',
  dhcpHosts: '/etc/dnsmasq.labwright-mac-lab/dhcp-hosts',
  hosts: '/etc/dnsmasq.labwright-mac-lab/hosts',
  mainConf: '/etc/dnsmasq.conf',
  leaseFile: '/var/lib/misc/dnsmasq.leases',
  dnsmasq: 'dnsmasq',
  vmnetDefinition: `/etc/systemd/system/${BRIDGE_UNIT}`,
};

/** `ip -j addr show` → interfaces; a recreated interface gets a new ifindex. */
export function parseIpAddr(json: string): NetInterface[] {
  const raw = JSON.parse(json || '[]') as { ifindex: number; ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return raw.map((i) => ({
    name: i.ifname,
    id: `ifindex ${i.ifindex}`,
    inet: (i.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => ({ address: a.local, prefixlen: a.prefixlen })),
  }));
}

/**
 * `ss -Hlunp` → sockets. The holder shows only when ss may read the process's
 * file descriptors (root with CAP_SYS_PTRACE); in a container without it the
 * process is left undefined rather than guessed.
 */
export function parseSs(text: string): UdpSocket[] {
  const out: UdpSocket[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const local = /^(?:\[([^\]]+)\]|([^%[\]]+?))(?:%([^:]+))?:(\d+)$/.exec(cols[3]!);
    if (!local) continue;
    const user = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    const address = local[1] ?? local[2]!;
    out.push({
      address: address === '0.0.0.0' || address === '::' ? '*' : address,
      port: Number(local[4]),
      ...(local[3] ? { device: local[3] } : {}),
      ...(user ? { process: user[1], pid: Number(user[2]) } : {}),
    });
  }
  return out;
}

const unitState = defineFact('lab-unit', (unit: string) => ({
  command: sh`systemctl show -p UnitFileState,ActiveState,MainPID -- ${unit}`,
  parse({ stdout }): DaemonState {
    const kv = Object.fromEntries(stdout.split('\n').map((l) => l.split('=', 2)));
    const pid = Number(kv.MainPID);
    return { loaded: kv.UnitFileState === 'enabled', running: kv.ActiveState === 'active', ...(pid > 0 ? { pid } : {}) };
  },
}));

export function renderBridgeUnit(want: VmnetWant): string {
  return renderTemplate(unitTemplate, { bridge: want.bridge ?? DEFAULT_LINUX_BRIDGE, gateway: want.gateway, prefix: want.prefix });
}

export function linuxPlatform(): Platform {
  return {
    kind: 'linux',
    vmnetName: BRIDGE_UNIT,
    dnsmasqName: 'dnsmasq.service',
    rootOwner: { owner: 'root', group: 'root' },
    vmnetLogHint: `journalctl -u ${BRIDGE_UNIT}`,
    paths: { facts: [], read: async () => LINUX_PATHS },
    interfaces: defineFact('linux-interfaces', () => ({
      command: sh`ip -j addr show`,
      parse: ({ stdout }) => parseIpAddr(stdout),
    }))(),
    udpSockets: defineFact('linux-udp-53-67', () => ({
      command: sh`ss -Hlunp '( sport = :53 or sport = :67 )'`,
      parse: ({ stdout }) => parseSs(stdout),
    }))(),
    vmnetState: unitState(BRIDGE_UNIT),
    dnsmasqState: unitState('dnsmasq.service'),
    dnsmasqLog: defineFact('linux-dnsmasq-log', () => ({
      command: sh`journalctl -u dnsmasq -n 8 -o cat --no-pager`,
      parse: ({ stdout }) => stdout.trim(),
    }))(),
    vmnetDefinition: (want) => ({
      facts: [],
      read: async () => ({ content: renderBridgeUnit(want), notes: ['no vmnet DHCP server on Linux: dnsmasq is the only one on the bridge'] }),
    }),
    vmnetLoad: () => sh`systemctl daemon-reload && systemctl enable --now ${BRIDGE_UNIT}`,
    vmnetUnload: () => sh`systemctl disable --now ${BRIDGE_UNIT}`,
    vmnetKickstart: () => sh`systemctl start ${BRIDGE_UNIT}`,
    dnsmasqRestart: () => sh`systemctl enable --quiet dnsmasq && systemctl restart dnsmasq`,
  };
}

import { defineFact } from '../../src/facts/fact.js';
import { renderTemplate } from '../../src/ops/template.js';
import { sh } from '../../src/shell/quote.js';
import { prefixOfHexMask, type DaemonState, type LabPaths, type NetInterface, type Platform, type UdpSocket, type VmnetDefinition, type VmnetWant } from './platform.js';

/**
 * The Mac: Homebrew's dnsmasq and socket_vmnet under launchd. Every command
 * here is written from its documentation, not run (no Mac in CI):
 * - socket_vmnet: README (launchd label, `launchctl bootstrap/bootout/kickstart`),
 *   cli.c (`--vmnet-gateway`, `--vmnet-mask`, `--vmnet-dhcp-end`, `--vmnet-disable-dhcp` on macOS 26+)
 * - Homebrew dnsmasq formula: `$(brew --prefix)/etc/dnsmasq.conf`, its service runs
 *   `dnsmasq --keep-in-foreground -C etc/dnsmasq.conf -7 etc/dnsmasq.d,*.conf` as root
 * - ifconfig(8) `-a -v` (first line `… mtu N index I`, `generation id: G`), lsof(8) `-F pcn`,
 *   launchctl(1) `print` (exit 113 when the service is not loaded; its output is not an API)
 */

export const SOCKET_VMNET_LABEL = 'io.github.lima-vm.socket_vmnet';
export const SOCKET_VMNET_PLIST = `/Library/LaunchDaemons/${SOCKET_VMNET_LABEL}.plist`;
export const SOCKET_VMNET_LOG_DIR = '/var/log/socket_vmnet';
export const DNSMASQ_LABEL = 'homebrew.mxcl.dnsmasq';
/** The lab's fragment in the directory Homebrew's dnsmasq service reads (`-7 …/dnsmasq.d,*.conf`). */
export const FRAGMENT_NAME = 'labwright-mac-lab.conf';

const plistTemplate = new URL('./templates/socket_vmnet.plist.hbs', import.meta.url);

/** Homebrew's prefix: `brew --prefix` (allowed as root), else its documented defaults. */
export const brewPrefix = defineFact('brew-prefix', () => ({
  command: sh`brew --prefix 2>/dev/null || { [ -x /opt/homebrew/bin/brew ] && echo /opt/homebrew; } || { [ -x /usr/local/bin/brew ] && echo /usr/local; }`,
  parse: ({ stdout }) => stdout.trim().split('\n').pop() || undefined,
}));

export const macosVersion = defineFact('macos-version', () => ({
  command: sh`sw_vers -productVersion`,
  parse: ({ stdout, code }) => (code === 0 && stdout.trim() ? stdout.trim() : undefined),
}));

/** The options a socket_vmnet binary knows (from its --help), undefined when it is not there. */
export const socketVmnetHelp = defineFact('socket-vmnet-help', (binary: string) => ({
  command: sh`if [ -x ${binary} ]; then ${binary} --help 2>&1; else exit 127; fi`,
  parse: ({ stdout, code }) => (code === 127 ? undefined : stdout),
}));

/** `ifconfig -a -v` → interfaces with IPv4 addresses and `index:generation` identity. */
export function parseIfconfig(text: string): NetInterface[] {
  const out: NetInterface[] = [];
  let cur: (NetInterface & { index?: string; generation?: string }) | undefined;
  const done = () => {
    if (!cur) return;
    cur.id = [cur.index && `index ${cur.index}`, cur.generation && `generation ${cur.generation}`].filter(Boolean).join(' ') || 'unknown';
    out.push({ name: cur.name, id: cur.id, inet: cur.inet });
  };
  for (const line of text.split('\n')) {
    const head = /^([A-Za-z0-9_.-]+): flags=/.exec(line);
    if (head) {
      done();
      cur = { name: head[1]!, id: '', inet: [], index: /\bindex (\d+)/.exec(line)?.[1] };
      continue;
    }
    if (!cur) continue;
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+)(?: --> \S+)? netmask 0x([0-9a-fA-F]{8})/.exec(line);
    if (inet) cur.inet.push({ address: inet[1]!, prefixlen: prefixOfHexMask(inet[2]!) });
    const gen = /^\s+generation id: (\d+)/.exec(line);
    if (gen) cur.generation = gen[1];
  }
  done();
  return out;
}

/** `lsof -F pcn` → sockets (`n*:53`, `n192.168.105.1:53`, `n[fe80::1%bridge100]:53`; connected ones skipped). */
export function parseLsof(text: string): UdpSocket[] {
  const out: UdpSocket[] = [];
  let pid: number | undefined;
  let command: string | undefined;
  for (const line of text.split('\n')) {
    const tag = line[0];
    const value = line.slice(1);
    if (tag === 'p') {
      pid = Number(value);
      command = undefined;
    } else if (tag === 'c') command = value;
    else if (tag === 'n' && !value.includes('->')) {
      const m = /^(?:\[([^\]]+)\]|(\*|[^:[\]]+)):(\d+)$/.exec(value);
      if (!m) continue;
      const [address, device] = (m[1] ?? m[2]!).split('%');
      out.push({ process: command, pid, address: address!, port: Number(m[3]), ...(device ? { device } : {}) });
    }
  }
  return out;
}

/** `launchctl print system/LABEL`: exit 0 when loaded; `state = running` and `pid = N` at the top level. */
export function parseLaunchctlPrint(stdout: string, code: number | null): DaemonState {
  if (code !== 0) return { loaded: false, running: false };
  const pid = /^\tpid = (\d+)\s*$/m.exec(stdout)?.[1];
  return { loaded: true, running: /^\tstate = running\s*$/m.test(stdout), ...(pid ? { pid: Number(pid) } : {}) };
}

const launchdState = defineFact('launchd', (label: string) => ({
  command: sh`launchctl print system/${label}`,
  parse: ({ stdout, code }) => parseLaunchctlPrint(stdout, code),
}));

/** The macOS major version (26 for "26.1"), undefined when unknown. */
export function macosMajor(version: string | undefined): number | undefined {
  const major = Number(version?.split('.')[0]);
  return Number.isInteger(major) && major > 0 ? major : undefined;
}

/**
 * socket_vmnet's arguments. vmnet's own DHCP server (bootpd) answers on the
 * bridge too unless it is off: `--vmnet-disable-dhcp` turns it off on macOS 26+
 * (socket_vmnet built against the macOS 26 SDK); before that its pool can only
 * be shrunk (`--vmnet-dhcp-end`) to the one address after the gateway.
 */
export function socketVmnetArgs(
  want: VmnetWant,
  binary: string,
  host: { macos?: string; help?: string },
): { args: string[]; notes: string[]; assumption?: string } {
  const major = macosMajor(host.macos);
  const canDisable = (major ?? 0) >= 26 && (host.help?.includes('--vmnet-disable-dhcp') ?? false);
  const args = [binary, '--vmnet-mode=shared', `--vmnet-gateway=${want.gateway}`, `--vmnet-mask=${want.netmask}`];
  const notes: string[] = [];
  let assumption: string | undefined;
  const disable = want.vmnetDhcp === 'disable' || (want.vmnetDhcp === 'auto' && canDisable);
  if (disable) {
    args.push('--vmnet-disable-dhcp');
    notes.push(
      canDisable
        ? "vmnet's DHCP server (bootpd) is off (--vmnet-disable-dhcp): dnsmasq is the only DHCP server on the bridge"
        : `vmnet_dhcp: disable asked for, but ${major === undefined ? 'the macOS version is unknown' : `macOS ${host.macos}`}${host.help === undefined ? ' and socket_vmnet is not installed yet' : host.help.includes('--vmnet-disable-dhcp') ? '' : " and this socket_vmnet has no --vmnet-disable-dhcp"}: socket_vmnet will refuse to start if either is missing (macOS 26+)`,
    );
  } else {
    args.push(`--vmnet-dhcp-end=${want.dhcpEnd}`);
    const why =
      want.vmnetDhcp === 'limit'
        ? 'vmnet_dhcp: limit'
        : major !== undefined && major < 26
          ? `macOS ${host.macos} cannot turn vmnet's DHCP off (macOS 26+)`
          : host.help === undefined
            ? 'socket_vmnet is not installed yet, so whether it has --vmnet-disable-dhcp is unknown'
            : major === undefined
              ? 'the macOS version is unknown'
              : 'this socket_vmnet has no --vmnet-disable-dhcp (needs a build against the macOS 26 SDK)';
    notes.push(
      `WARNING: vmnet's DHCP server (bootpd) also answers on the bridge (${why}); its pool is cut to ${want.dhcpEnd} ` +
        `(--vmnet-dhcp-end), but a VM may still take bootpd's offer of ${want.dhcpEnd} instead of its reservation`,
    );
    if (host.help === undefined && want.vmnetDhcp === 'auto') assumption = 'socket_vmnet is not installed yet: assumed it cannot turn vmnet DHCP off';
  }
  args.push(want.socket);
  return { args, notes, ...(assumption ? { assumption } : {}) };
}

/** The launchd job for socket_vmnet (as upstream's launchd/io.github.lima-vm.socket_vmnet.plist, with our arguments). */
export function renderSocketVmnetPlist(args: readonly string[]): string {
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return renderTemplate(plistTemplate, { label: SOCKET_VMNET_LABEL, program: xml(args[0]!), args: args.map(xml), logDir: SOCKET_VMNET_LOG_DIR });
}

export function macPaths(prefix: string): LabPaths {
  const dataDir = `${prefix}/etc/dnsmasq.labwright-mac-lab`;
  return {
    fragment: `${prefix}/etc/dnsmasq.d/${FRAGMENT_NAME}`,
    dataDir,
    dhcpHosts: `${dataDir}/dhcp-hosts`,
    hosts: `${dataDir}/hosts`,
    mainConf: `${prefix}/etc/dnsmasq.conf`,
    leaseFile: `${prefix}/var/lib/misc/dnsmasq/dnsmasq.leases`,
    dnsmasq: `${prefix}/opt/dnsmasq/sbin/dnsmasq`,
    vmnetDefinition: SOCKET_VMNET_PLIST,
    brew: `${prefix}/bin/brew`,
  };
}

async function prefixOf(ctx: { fact<T>(f: import('../../src/facts/fact.js').Fact<T>): Promise<T> }, pinned?: string): Promise<string> {
  if (pinned) return pinned;
  const prefix = await ctx.fact(brewPrefix());
  if (!prefix) throw new Error('Homebrew not found (no `brew` in PATH, /opt/homebrew or /usr/local): install Homebrew, or set mac_lab.homebrew_prefix');
  return prefix;
}

/** The Mac platform; `homebrewPrefix` pins the prefix instead of asking `brew --prefix`. */
export function macosPlatform(homebrewPrefix?: string): Platform {
  return {
    kind: 'macos',
    vmnetName: 'socket_vmnet',
    dnsmasqName: 'dnsmasq (Homebrew service)',
    rootOwner: { owner: 'root', group: 'wheel' },
    vmnetLogHint: `${SOCKET_VMNET_LOG_DIR}/stderr`,
    paths: {
      facts: homebrewPrefix ? [] : [brewPrefix()],
      read: async (ctx) => macPaths(await prefixOf(ctx, homebrewPrefix)),
    },
    interfaces: defineFact('macos-interfaces', () => ({
      command: sh`ifconfig -a -v`,
      parse: ({ stdout }) => parseIfconfig(stdout),
    }))(),
    udpSockets: defineFact('macos-udp-53-67', () => ({
      // lsof exits 1 when nothing matches
      command: sh`lsof +c 0 -nP -iUDP:53 -iUDP:67 -F pcn`,
      parse: ({ stdout }) => parseLsof(stdout),
    }))(),
    vmnetState: launchdState(SOCKET_VMNET_LABEL),
    dnsmasqState: launchdState(DNSMASQ_LABEL),
    dnsmasqLog: defineFact('macos-dnsmasq-log', () => ({
      command: sh`log show --style compact --last 5m --predicate 'process == "dnsmasq"' | tail -n 8`,
      parse: ({ stdout }) => stdout.trim(),
    }))(),
    vmnetDefinition(want: VmnetWant) {
      return {
        facts: [...(homebrewPrefix ? [] : [brewPrefix()]), macosVersion()],
        async read(ctx): Promise<VmnetDefinition> {
          const binary = want.binary ?? `${await prefixOf(ctx, homebrewPrefix)}/opt/socket_vmnet/bin/socket_vmnet`;
          const [macos, help] = await Promise.all([ctx.fact(macosVersion()), ctx.fact(socketVmnetHelp(binary))]);
          const { args, notes, assumption } = socketVmnetArgs(want, binary, { macos, help });
          return { content: renderSocketVmnetPlist(args), notes, ...(assumption ? { assumption } : {}) };
        },
      };
    },
    vmnetLoad: (paths) => sh`launchctl enable system/${SOCKET_VMNET_LABEL} && launchctl bootstrap system ${paths.vmnetDefinition}`,
    vmnetUnload: () => sh`launchctl bootout system/${SOCKET_VMNET_LABEL}`,
    vmnetKickstart: () => sh`launchctl kickstart system/${SOCKET_VMNET_LABEL}`,
    // `brew services` is the one brew command meant to run as root (system daemons in /Library/LaunchDaemons)
    dnsmasqRestart: (paths) => sh`${paths.brew ?? 'brew'} services restart dnsmasq`,
  };
}

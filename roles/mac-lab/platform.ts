import type { Fact } from '../../src/facts/fact.js';
import type { FromHost } from '../../src/ops/from-facts.js';
import type { Command } from '../../src/shell/quote.js';

/**
 * The platform layer: every command of the lab that touches the operating
 * system, as facts (read-only: command + parser) and commands. The dance's
 * logic (dance.ts) only sees this interface, so it runs unchanged on the Mac
 * (ifconfig, lsof, launchctl, brew services: platform-macos.ts), on a Linux
 * host (ip, ss, systemctl: platform-linux.ts) and against a scripted Mac in
 * the unit tests (fake-mac.ts).
 */

/** A network interface with its IPv4 addresses and an identity that changes when it is recreated. */
export interface NetInterface {
  name: string;
  /**
   * What tells this incarnation of the interface from an earlier one with the
   * same name: macOS `index N generation G` (ifconfig -v), Linux `ifindex N`.
   */
  id: string;
  inet: { address: string; prefixlen: number }[];
}

/** A UDP socket on port 53 or 67 and who holds it. */
export interface UdpSocket {
  /** Process name; undefined when the platform cannot see it (Linux without CAP_SYS_PTRACE). */
  process?: string;
  pid?: number;
  /** Local address: an IPv4/IPv6 address or `*` (wildcard). */
  address: string;
  port: number;
  /** Device the socket is bound to (Linux `0.0.0.0%br-lab:67`). */
  device?: string;
}

/** A supervised daemon (launchd job, systemd unit). */
export interface DaemonState {
  /** Known to the service manager and started at boot (bootstrapped / enabled). */
  loaded: boolean;
  running: boolean;
  pid?: number;
}

/** Where the lab's files live on the host. */
export interface LabPaths {
  /** The lab's dnsmasq fragment, in a directory dnsmasq reads (`conf-dir`). */
  fragment: string;
  /** Reservations and records files (outside the conf-dir). */
  dataDir: string;
  dhcpHosts: string;
  hosts: string;
  /** The user's main dnsmasq config, validated together with the fragment and never edited. */
  mainConf: string;
  leaseFile: string;
  /** The dnsmasq binary (for `--test`). */
  dnsmasq: string;
  /** The definition of the bridge daemon (launchd plist, systemd unit). */
  vmnetDefinition: string;
  /** Homebrew's `brew` (macOS). */
  brew?: string;
}

/** The bridge daemon's definition as the platform renders it, and what it could not know. */
export interface VmnetDefinition {
  content: string;
  /** What the definition decided and why (vmnet DHCP on or off), shown in the plan. */
  notes: string[];
  /** Set when a fact was not available yet (check mode before the package is installed). */
  assumption?: string;
}

/** What the dance asks of the bridge daemon, from the lab's vars. */
export interface VmnetWant {
  gateway: string;
  netmask: string;
  /** The address vmnet's own DHCP (bootpd) would end its pool at when it cannot be turned off. */
  dhcpEnd: string;
  vmnetDhcp: 'auto' | 'disable' | 'limit';
  socket: string;
  binary?: string;
  /** Linux: the bridge to create. */
  bridge?: string;
  prefix: number;
}

export interface Platform {
  readonly kind: 'macos' | 'linux';
  /** The bridge daemon, as named in messages ("socket_vmnet", "labwright-lab-bridge.service"). */
  readonly vmnetName: string;
  /** The dnsmasq service, as named in messages. */
  readonly dnsmasqName: string;
  /** Owner and group of files the role writes as root. */
  readonly rootOwner: { owner: string; group: string };
  /** Where the lab's files live (macOS: under `brew --prefix`, a fact). */
  readonly paths: FromHost<LabPaths>;
  /** Every interface with its IPv4 addresses and identity. */
  readonly interfaces: Fact<NetInterface[]>;
  /** UDP sockets on ports 53 and 67 with their holders. */
  readonly udpSockets: Fact<UdpSocket[]>;
  readonly vmnetState: Fact<DaemonState>;
  readonly dnsmasqState: Fact<DaemonState>;
  /** dnsmasq's last log lines, for failure messages. */
  readonly dnsmasqLog: Fact<string>;
  /** The bridge daemon's definition file content for `want` (may read facts: OS version, binary features). */
  vmnetDefinition(want: VmnetWant): FromHost<VmnetDefinition>;
  /** Loads (bootstraps / enables and starts) the bridge daemon. */
  vmnetLoad(paths: LabPaths): Command;
  /** Stops and unloads the bridge daemon (the bridge goes away with it). */
  vmnetUnload(paths: LabPaths): Command;
  /** Starts the loaded bridge daemon that is not running. */
  vmnetKickstart(): Command;
  /** Restarts dnsmasq with its whole configuration and registers it to start at boot. */
  dnsmasqRestart(paths: LabPaths): Command;
  /** Where the daemon's own log is, for failure messages. */
  readonly vmnetLogHint: string;
}

/** The interface holding `gateway` (optionally only the one named `bridge`). */
export function interfaceHolding(ifaces: readonly NetInterface[], gateway: string, bridge?: string): NetInterface | undefined {
  return ifaces.find((i) => (!bridge || i.name === bridge) && i.inet.some((a) => a.address === gateway));
}

/** Number of one bits of a 32-bit netmask given as hex ("ffffff00" → 24). */
export function prefixOfHexMask(hex: string): number {
  let n = Number.parseInt(hex, 16) >>> 0;
  let bits = 0;
  while (n) {
    bits += n & 1;
    n >>>= 1;
  }
  return bits;
}

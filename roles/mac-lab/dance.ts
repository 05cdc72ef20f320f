import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { defineFact } from '../../src/facts/fact.js';
import type { Fact } from '../../src/facts/fact.js';
import { change, ok, type Op, type OpContext, type Plan } from '../../src/ops/op.js';
import { readFresh } from '../../src/ops/read-fresh.js';
import { contains } from '../../src/net/address.js';
import { isIpv4 } from '../../src/net/host-address.js';
import { sh, type Command } from '../../src/shell/quote.js';
import { interfaceHolding, type DaemonState, type LabPaths, type NetInterface, type Platform, type UdpSocket, type VmnetWant } from './platform.js';

/**
 * The interface dance, as planned operations over a Platform:
 *
 *   observe   which interface holds the gateway, who holds UDP 53/67 (read-only)
 *   vmnet     the bridge daemon runs the current definition (load / reload / start)
 *   wait      bounded: until an interface holds the gateway
 *   identity  the bridge dnsmasq was started for is this one; else notify "restart dnsmasq"
 *   restart   (handler) restart dnsmasq, then bounded: until it holds gateway:53 and UDP 67
 *   serving   dnsmasq holds them now; else restart it the same way
 *
 * Polls read the host afresh through a DanceIo; the engine's is `engineIo`,
 * the unit tests hand in a scripted Mac's.
 */

/** What the dance does to the host while applying: fresh reads, commands, pauses. */
export interface DanceIo {
  /** Reads a fact now (never cached). */
  read<T>(fact: Fact<T>): Promise<T>;
  /** Runs a command that changes the host; rejects when it fails. */
  run(cmd: Command): Promise<void>;
  pause(ms: number): Promise<void>;
}

export type IoFor = (ctx: OpContext) => DanceIo;

export const engineIo: IoFor = (ctx) => ({
  read: (fact) => readFresh(ctx, fact),
  run: async (cmd) => {
    await ctx.run(cmd);
  },
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

export interface Wait {
  attempts: number;
  intervalMs: number;
}

/** What the dance works towards, from the role's vars. */
export interface DanceSpec {
  subnet: string;
  gateway: string;
  /** Only this interface counts as the bridge (default: whichever holds the gateway). */
  bridge?: string;
  /** dnsmasq answers DNS on the gateway (else DHCP only, port 0). */
  dns: boolean;
  /** Where the dance records what it started (labwright_state_dir/mac-lab). */
  stateDir: string;
  bridgeWait: Wait;
  dnsmasqWait: Wait;
  vmnet: VmnetWant;
}

const seconds = (w: Wait) => Math.round((w.attempts * w.intervalMs) / 1000);

/** A small state file of the dance (absent → undefined). */
export const stamp = defineFact('mac-lab-stamp', (path: string) => ({
  command: sh`cat ${path}`,
  parse: ({ stdout, code }) => (code === 0 && stdout.trim() ? stdout.trim() : undefined),
}));

export function stampPaths(spec: Pick<DanceSpec, 'stateDir'>) {
  return {
    /** sha256 of the bridge daemon definition that was loaded. */
    vmnet: posix.join(spec.stateDir, 'vmnet-definition'),
    /** The bridge (name and identity) dnsmasq was last started for. */
    bridge: posix.join(spec.stateDir, 'bridge'),
  };
}

export function writeStamp(path: string, value: string): Command {
  return sh`mkdir -p ${posix.dirname(path)} && printf '%s\\n' ${value} > ${path}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const identity = (i: NetInterface) => `${i.name} ${i.id}`;

function describeDaemon(name: string, s: DaemonState): string {
  if (!s.loaded) return `${name} is not loaded${s.running ? ' (but running)' : ''}`;
  return s.running ? `${name} is running${s.pid ? ` (pid ${s.pid})` : ''}` : `${name} is loaded but not running`;
}

function who(s: UdpSocket): string {
  return `${s.process ?? 'a process ss cannot name'}${s.pid ? `[${s.pid}]` : ''}`;
}

function where(s: UdpSocket): string {
  return `${s.address.includes(':') ? `[${s.address}]` : s.address}${s.device ? `%${s.device}` : ''}:${s.port}`;
}

/** Sockets of dnsmasq: by name, or — where the platform cannot name holders — while dnsmasq runs. */
function isDnsmasq(s: UdpSocket, dnsmasqRunning: boolean): boolean {
  return s.process === 'dnsmasq' || (s.process === undefined && dnsmasqRunning);
}

/** Whether dnsmasq serves the bridge: gateway:53 (when DNS is on) and UDP 67. */
export function serving(spec: DanceSpec, sockets: readonly UdpSocket[], dnsmasq: DaemonState): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  if (spec.dns && !sockets.some((s) => s.port === 53 && s.address === spec.gateway && isDnsmasq(s, dnsmasq.running))) missing.push(`${spec.gateway}:53`);
  if (!sockets.some((s) => s.port === 67 && isDnsmasq(s, dnsmasq.running))) missing.push('UDP 67');
  return { ok: missing.length === 0, missing };
}

/** What holds UDP 53 and what that means for dnsmasq bound to the gateway. */
export function port53Report(spec: DanceSpec, sockets: readonly UdpSocket[], dnsmasqRunning: boolean): string[] {
  const on53 = sockets.filter((s) => s.port === 53);
  const lines = [on53.length === 0 ? 'nothing holds UDP 53' : `UDP 53: ${on53.map((s) => `${who(s)} on ${where(s)}`).join(', ')}`];
  if (!spec.dns) {
    lines.push('dnsmasq serves DHCP only (port 0): UDP 53 is left to the others');
    return lines;
  }
  for (const s of on53.filter((x) => !isDnsmasq(x, dnsmasqRunning))) {
    if (s.address === spec.gateway) {
      lines.push(`WARNING: ${who(s)} holds ${spec.gateway}:53 itself: dnsmasq cannot bind the gateway while it does`);
    } else if (s.address === '*') {
      lines.push(`${who(s)} holds the wildcard *:53: dnsmasq binds ${spec.gateway}:53 only (bind-interfaces), so both can run`);
    }
  }
  return lines;
}

/** observe: the state the dance starts from, as the plan's reason (never a change). */
export function observeOp(p: Platform, spec: DanceSpec): Op {
  return {
    label: 'observe bridge and port 53',
    facts: [p.interfaces, p.udpSockets, p.vmnetState, p.dnsmasqState],
    async plan(ctx) {
      const [ifaces, sockets, vmnet, dnsmasq] = await Promise.all([
        ctx.fact(p.interfaces),
        ctx.fact(p.udpSockets),
        ctx.fact(p.vmnetState),
        ctx.fact(p.dnsmasqState),
      ]);
      const holder = interfaceHolding(ifaces, spec.gateway, spec.bridge);
      return ok(
        [
          holder ? `${holder.name} holds ${spec.gateway} (${holder.id})` : `no interface holds ${spec.gateway} yet`,
          describeDaemon(p.vmnetName, vmnet),
          describeDaemon('dnsmasq', dnsmasq),
          ...port53Report(spec, sockets, dnsmasq.running),
        ].join('; '),
      );
    },
  };
}

async function waitUntil<T>(io: DanceIo, wait: Wait, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 1; i <= wait.attempts; i++) {
    const found = await probe();
    if (found !== undefined) return found;
    if (i < wait.attempts) await io.pause(wait.intervalMs);
  }
  return undefined;
}

/** vmnet (present): the bridge daemon is loaded from the current definition and running. */
export function vmnetServiceOp(p: Platform, spec: DanceSpec, ioFor: IoFor): Op {
  const definition = p.vmnetDefinition(spec.vmnet);
  const stampFile = stampPaths(spec).vmnet;
  return {
    label: `${p.vmnetName} service`,
    facts: [p.vmnetState, stamp(stampFile), ...definition.facts, ...p.paths.facts],
    async plan(ctx) {
      const paths = await p.paths.read(ctx);
      const def = await definition.read(ctx);
      const [state, loadedSha] = await Promise.all([ctx.fact(p.vmnetState), ctx.fact(stamp(stampFile))]);
      const sha = sha256(def.content);
      const load = p.vmnetLoad(paths);
      const record = writeStamp(stampFile, sha);
      let planned: Plan;
      if (state.loaded && loadedSha === sha) {
        if (state.running) return ok(`${describeDaemon(p.vmnetName, state)} from the current definition`);
        const start = p.vmnetKickstart();
        planned = change([{ summary: `start ${p.vmnetName} (loaded, not running): ${start.shown}` }], async (c) => ioFor(c).run(start));
      } else if (state.loaded) {
        const unload = p.vmnetUnload(paths);
        planned = change(
          [
            { summary: `${p.vmnetName} was loaded from ${loadedSha ? 'an older definition' : 'a definition labwright did not write'}: ${unload.shown}` },
            { summary: `wait until ${p.vmnetName} is unloaded, then ${load.shown}` },
          ],
          async (c) => {
            const io = ioFor(c);
            await io.run(unload);
            const gone = await waitUntil(io, spec.bridgeWait, async () => ((await io.read(p.vmnetState)).loaded ? undefined : true));
            if (!gone) throw new Error(`${p.vmnetName} was still loaded ${seconds(spec.bridgeWait)} s after "${unload.shown}"`);
            await io.run(load);
            await io.run(record);
          },
        );
      } else {
        planned = change([{ summary: `load ${p.vmnetName}: ${load.shown}` }], async (c) => {
          const io = ioFor(c);
          await io.run(load);
          await io.run(record);
        });
      }
      if (def.assumption && planned.kind !== 'ok') {
        return { kind: 'unpredictable', changes: [...planned.changes, { summary: `not certain: ${def.assumption}` }], apply: planned.apply };
      }
      return planned;
    },
  };
}

/** vmnet (absent): the bridge daemon is unloaded (its bridge goes with it). */
export function vmnetStoppedOp(p: Platform, spec: DanceSpec, ioFor: IoFor): Op {
  return {
    label: `${p.vmnetName} unloaded`,
    facts: [p.vmnetState, ...p.paths.facts],
    async plan(ctx) {
      const state = await ctx.fact(p.vmnetState);
      if (!state.loaded && !state.running) return ok(`${p.vmnetName} is not loaded`);
      const unload = p.vmnetUnload(await p.paths.read(ctx));
      return change([{ summary: `unload ${p.vmnetName}: ${unload.shown}` }], async (c) => {
        const io = ioFor(c);
        await io.run(unload);
        const gone = await waitUntil(io, spec.bridgeWait, async () => ((await io.read(p.vmnetState)).loaded ? undefined : true));
        if (!gone) throw new Error(`${p.vmnetName} was still loaded ${seconds(spec.bridgeWait)} s after "${unload.shown}"`);
      });
    },
  };
}

/** Interfaces with an address in the lab subnet, for messages. */
function inSubnet(spec: DanceSpec, ifaces: readonly NetInterface[]): string {
  const hits = ifaces.flatMap((i) => i.inet.filter((a) => isIpv4(a.address) && contains(spec.subnet, a.address)).map((a) => `${i.name} has ${a.address}/${a.prefixlen}`));
  return hits.length > 0 ? `in ${spec.subnet}: ${hits.join(', ')}` : `no interface has an address in ${spec.subnet}`;
}

/** Polls until an interface holds the gateway; throws a message that says what was seen. */
export async function waitForBridge(p: Platform, spec: DanceSpec, io: DanceIo): Promise<NetInterface> {
  let last: NetInterface[] = [];
  const found = await waitUntil(io, spec.bridgeWait, async () => {
    last = await io.read(p.interfaces);
    return interfaceHolding(last, spec.gateway, spec.bridge);
  });
  if (found) return found;
  const vmnet = await io.read(p.vmnetState);
  throw new Error(
    `gave up waiting for ${spec.bridge ?? 'the bridge'} to hold ${spec.gateway}: ${spec.bridgeWait.attempts} checks over ${seconds(spec.bridgeWait)} s. ` +
      `${describeDaemon(p.vmnetName, vmnet)}; ${inSubnet(spec, last)}. See ${p.vmnetLogHint}.`,
  );
}

/** wait: bounded, until an interface holds the gateway. */
export function waitBridgeOp(p: Platform, spec: DanceSpec, ioFor: IoFor): Op {
  return {
    label: `wait for ${spec.gateway}`,
    facts: [p.interfaces],
    async plan(ctx) {
      const holder = interfaceHolding(await ctx.fact(p.interfaces), spec.gateway, spec.bridge);
      if (holder) return ok(`${holder.name} holds ${spec.gateway} (${holder.id})`);
      return change(
        [{ summary: `wait up to ${seconds(spec.bridgeWait)} s (${spec.bridgeWait.attempts} checks) for ${spec.bridge ?? 'the bridge'} to hold ${spec.gateway}: ${p.vmnetName} creates it` }],
        async (c) => {
          await waitForBridge(p, spec, ioFor(c));
        },
      );
    },
  };
}

/**
 * identity: the bridge holding the gateway is the one dnsmasq was last
 * started for. A new bridge (first run, or socket_vmnet recreated it) is a
 * change that notifies the restart: dnsmasq on macOS keeps sockets of the
 * interface it found at start (no netlink there; bind-dynamic is Linux-only).
 */
export function bridgeIdentityOp(p: Platform, spec: DanceSpec, ioFor: IoFor): Op {
  const file = stampPaths(spec).bridge;
  return {
    label: 'bridge dnsmasq serves',
    facts: [p.interfaces, stamp(file)],
    async plan(ctx) {
      const [ifaces, recorded] = await Promise.all([ctx.fact(p.interfaces), ctx.fact(stamp(file))]);
      const holder = interfaceHolding(ifaces, spec.gateway, spec.bridge);
      if (holder && recorded === identity(holder)) return ok(`dnsmasq was started for ${holder.name} as it is now (${holder.id})`);
      if (holder) {
        const summary = recorded
          ? `the bridge changed since dnsmasq was started (${recorded} → ${identity(holder)}): dnsmasq must bind the new one`
          : `dnsmasq has not been started for ${holder.name} (${holder.id}) yet`;
        return change({ summary }, async (c) => ioFor(c).run(writeStamp(file, identity(holder))));
      }
      return {
        kind: 'unpredictable',
        changes: [{ summary: `no interface holds ${spec.gateway} yet: the bridge ${p.vmnetName} creates is recorded, and dnsmasq restarted for it` }],
        apply: async (c) => {
          const io = ioFor(c);
          const now = interfaceHolding(await io.read(p.interfaces), spec.gateway, spec.bridge);
          if (!now) throw new Error(`no interface holds ${spec.gateway}: nothing for dnsmasq to serve`);
          await io.run(writeStamp(file, identity(now)));
        },
      };
    },
  };
}

/** Restarts dnsmasq, then waits (bounded) until it serves the gateway; throws a diagnosis otherwise. */
export async function restartAndVerify(p: Platform, spec: DanceSpec, io: DanceIo, paths: LabPaths): Promise<void> {
  const restart = p.dnsmasqRestart(paths);
  let restartFailed: string | undefined;
  try {
    await io.run(restart);
  } catch (e) {
    restartFailed = (e as Error).message.split('\n')[0];
  }
  let sockets: UdpSocket[] = [];
  let state: DaemonState = { loaded: false, running: false };
  let missing: string[] = [];
  const done = await waitUntil(io, spec.dnsmasqWait, async () => {
    [sockets, state] = [await io.read(p.udpSockets), await io.read(p.dnsmasqState)];
    const check = serving(spec, sockets, state);
    missing = check.missing;
    return check.ok ? true : undefined;
  });
  if (done) return;
  const [ifaces, log] = [await io.read(p.interfaces), await io.read(p.dnsmasqLog)];
  const blockers = sockets.filter((s) => s.port === 53 && s.address === spec.gateway && !isDnsmasq(s, state.running));
  const hints = [
    ...blockers.map(
      (s) =>
        `${who(s)} holds ${spec.gateway}:53: it bound the gateway before dnsmasq did; restart ${p.vmnetName} (the bridge is recreated and dnsmasq follows it), or set mac_lab.dns: false to serve DHCP only`,
    ),
    ...(interfaceHolding(ifaces, spec.gateway, spec.bridge) ? [] : [`no interface holds ${spec.gateway}: the bridge is gone (${p.vmnetName} stopped?)`]),
  ];
  throw new Error(
    [
      `dnsmasq does not serve ${spec.gateway} (missing: ${missing.join(', ')}) after "${restart.shown}"${restartFailed ? ` (which failed: ${restartFailed})` : ''}: ${spec.dnsmasqWait.attempts} checks over ${seconds(spec.dnsmasqWait)} s`,
      `${describeDaemon('dnsmasq', state)}; ${port53Report(spec, sockets, state.running).join('; ')}`,
      ...hints,
      ...(log ? ['dnsmasq log:', ...log.split('\n').map((l) => `  ${l}`)] : []),
    ].join('\n'),
  );
}

/** The handler: restart dnsmasq and verify (present); restart it with the user's own config (absent). */
export function restartDnsmasqOp(p: Platform, spec: DanceSpec, ioFor: IoFor, state: 'present' | 'absent'): Op {
  return {
    label: 'restart dnsmasq',
    facts: [p.dnsmasqState, ...p.paths.facts],
    async plan(ctx) {
      const paths = await p.paths.read(ctx);
      const restart = p.dnsmasqRestart(paths);
      if (state === 'absent') {
        if (!(await ctx.fact(p.dnsmasqState)).running) return ok('dnsmasq is not running: nothing to restart');
        return change({ summary: `${restart.shown} (without the lab's fragment)` }, async (c) => ioFor(c).run(restart));
      }
      return change(
        [
          { summary: restart.shown },
          { summary: `then wait up to ${seconds(spec.dnsmasqWait)} s until dnsmasq holds ${spec.dns ? `${spec.gateway}:53 and ` : ''}UDP 67` },
        ],
        async (c) => restartAndVerify(p, spec, ioFor(c), paths),
      );
    },
  };
}

/** serving: dnsmasq holds the gateway now (after the handlers); else it is restarted and verified. */
export function dnsmasqServingOp(p: Platform, spec: DanceSpec, ioFor: IoFor): Op {
  return {
    label: 'dnsmasq serves the bridge',
    facts: [p.udpSockets, p.dnsmasqState, p.interfaces, ...p.paths.facts],
    async plan(ctx) {
      const [sockets, state, ifaces] = await Promise.all([ctx.fact(p.udpSockets), ctx.fact(p.dnsmasqState), ctx.fact(p.interfaces)]);
      const check = serving(spec, sockets, state);
      const holder = interfaceHolding(ifaces, spec.gateway, spec.bridge);
      if (check.ok) return ok(`dnsmasq holds ${spec.dns ? `${spec.gateway}:53 and ` : ''}UDP 67${holder ? ` on ${holder.name}` : ''}`);
      const paths = await p.paths.read(ctx);
      const restart = p.dnsmasqRestart(paths);
      return change(
        [
          { summary: `dnsmasq does not hold ${check.missing.join(' or ')} (${describeDaemon('dnsmasq', state)}): ${restart.shown}` },
          { summary: `then wait up to ${seconds(spec.dnsmasqWait)} s until it does` },
        ],
        async (c) => restartAndVerify(p, spec, ioFor(c), paths),
      );
    },
  };
}

import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/ops/op.js';
import { sha256 } from './dance.js';
import { ScriptedMac, type ScriptedMacOptions } from './fake-mac.js';
import { MAC_LAB_HANDLERS, MAC_LAB_STEPS } from './index.js';
import { macosPlatform, renderSocketVmnetPlist, socketVmnetArgs } from './platform-macos.js';
import { macLabSchema, type MacLab } from './vars.js';

/**
 * The dance's logic against a scripted Mac (fake-mac.ts): the role's own
 * dance steps, in the role's order, with its handler flushed where the role
 * flushes it. Only the steps that write files are left out (they are plain
 * engine file operations, exercised on real hosts by the lab test).
 */

const GW = '192.168.200.1';
const BOOTSTRAP = 'run: launchctl enable system/io.github.lima-vm.socket_vmnet && launchctl bootstrap system /Library/LaunchDaemons/io.github.lima-vm.socket_vmnet.plist';
const BOOTOUT = 'run: launchctl bootout system/io.github.lima-vm.socket_vmnet';
const IFCONFIG = 'read: ifconfig -a -v';
const LSOF = 'read: lsof +c 0 -nP -iUDP:53 -iUDP:67 -F pcn';
const DNSMASQ_STATE = 'read: launchctl print system/homebrew.mxcl.dnsmasq';
const VMNET_STATE = 'read: launchctl print system/io.github.lima-vm.socket_vmnet';
const RESTART = 'run: /opt/homebrew/bin/brew services restart dnsmasq';
const PAUSE = 'pause: 1000 ms';
const stampVmnet = (sha: string) => `run: mkdir -p /var/lib/labwright/mac-lab && printf '%s\\n' ${sha} > /var/lib/labwright/mac-lab/vmnet-definition`;
const stampBridge = (index: number, generation: number) =>
  `run: mkdir -p /var/lib/labwright/mac-lab && printf '%s\\n' 'bridge100 index ${index} generation ${generation}' > /var/lib/labwright/mac-lab/bridge`;

function labOf(vars: Record<string, unknown> = {}): MacLab {
  return macLabSchema.parse({ bridge_wait_seconds: 5, dnsmasq_wait_seconds: 3, ...vars });
}

/** The socket_vmnet definition the role would load on this Mac (its sha is what the dance records). */
function definitionSha(lab: MacLab, mac: ScriptedMac): string {
  const binary = `${mac.opts.prefix}/opt/socket_vmnet/bin/socket_vmnet`;
  const help = mac.opts.disableDhcpOption ? '--vmnet-disable-dhcp' : '';
  return sha256(renderSocketVmnetPlist(socketVmnetArgs(lab.vmnet, binary, { macos: mac.opts.macos, help }).args));
}

interface StepReport {
  step: string;
  kind: 'ok' | 'change' | 'unpredictable';
  text: string[];
}

/** Runs the role's dance steps like the engine: plan, apply unless checking, notified handlers at the flush. */
async function runDance(mac: ScriptedMac, lab: MacLab, opts: { check?: boolean } = {}): Promise<StepReport[]> {
  const ctx = mac.context();
  const ioFor = () => mac.io;
  const reports: StepReport[] = [];
  const notified = new Set<string>();
  const run = async (name: string, ops: Op[]): Promise<boolean> => {
    let changed = false;
    for (const op of ops) {
      const plan = await op.plan(ctx);
      reports.push({ step: name, kind: plan.kind, text: plan.kind === 'ok' ? [plan.reason] : plan.changes.map((c) => c.summary) });
      if (plan.kind === 'ok') continue;
      changed = true;
      if (!opts.check) await plan.apply(ctx);
    }
    return changed;
  };
  const flush = async () => {
    for (const h of MAC_LAB_HANDLERS) if (notified.has(h.name)) await run(`handler: ${h.name}`, [h.build(lab, ioFor)]);
    notified.clear();
  };
  for (const step of MAC_LAB_STEPS) {
    if (step === 'flush') {
      await flush();
      continue;
    }
    if (!step.dance || (step.when && !step.when(lab))) continue;
    const built = step.build(lab, ioFor);
    const changed = await run(step.name, Array.isArray(built) ? built : [built]);
    if (changed) for (const n of step.notify ?? []) notified.add(n);
  }
  await flush();
  return reports;
}

const fresh = (o: Partial<ScriptedMacOptions> = {}) => new ScriptedMac({ gateway: GW, ...o });

describe('the dance on a scripted Mac', () => {
  it('fresh Mac, bridge appearing 2 s after socket_vmnet starts, mDNSResponder on *:53: loads, waits, records, restarts dnsmasq after the bridge exists', async () => {
    const mac = fresh({ bridgeDelayMs: 2000 });
    const lab = labOf();
    const reports = await runDance(mac, lab);
    expect(mac.log).toEqual([
      BOOTSTRAP,
      stampVmnet(definitionSha(lab, mac)),
      IFCONFIG, // t=0: no bridge yet
      PAUSE,
      IFCONFIG, // t=1
      PAUSE,
      IFCONFIG, // t=2: bridge100 holds the gateway
      stampBridge(21, 1),
      RESTART, // the handler, at the flush: only now, with the bridge there
      LSOF,
      DNSMASQ_STATE,
    ]);
    // outcome: dnsmasq serves the bridge as it is now, next to mDNSResponder's wildcard socket
    expect(mac.dnsmasq.servesGeneration).toBe(mac.bridge!.generation);
    const observe = reports.find((r) => r.step === 'observe bridge and port 53')!;
    expect(observe.kind).toBe('ok');
    expect(observe.text[0]).toBe(`no interface holds ${GW} yet; socket_vmnet is not loaded; dnsmasq is not loaded; nothing holds UDP 53`);
    const last = reports.at(-1)!;
    expect(last).toEqual({ step: 'dnsmasq serves the bridge', kind: 'ok', text: [`dnsmasq holds ${GW}:53 and UDP 67 on bridge100`] });
  });

  it('second run on the same Mac: every step ok, nothing run, nothing polled', async () => {
    const mac = fresh();
    const lab = labOf();
    await runDance(mac, lab);
    mac.log.length = 0;
    const reports = await runDance(mac, lab);
    expect(mac.log).toEqual([]);
    expect(reports.every((r) => r.kind === 'ok')).toBe(true);
    expect(reports.find((r) => r.step === 'observe bridge and port 53')!.text[0]).toContain(
      `mDNSResponder[301] holds the wildcard *:53: dnsmasq binds ${GW}:53 only (bind-interfaces), so both can run`,
    );
  });

  it('the bridge never appears: the wait gives up after its bounded checks with what it saw, and dnsmasq is not touched', async () => {
    const mac = fresh({ neverCreatesBridge: true });
    const lab = labOf();
    await expect(runDance(mac, lab)).rejects.toThrow(
      `gave up waiting for the bridge to hold ${GW}: 5 checks over 5 s. socket_vmnet is running (pid 1001); no interface has an address in 192.168.200.0/24. See /var/log/socket_vmnet/stderr.`,
    );
    expect(mac.log).toEqual([BOOTSTRAP, stampVmnet(definitionSha(lab, mac)), IFCONFIG, PAUSE, IFCONFIG, PAUSE, IFCONFIG, PAUSE, IFCONFIG, PAUSE, IFCONFIG, VMNET_STATE]);
    expect(mac.log.filter((l) => l.includes('dnsmasq'))).toEqual([]);
  });

  it('mDNSResponder binds the gateway itself: dnsmasq fails to bind, the bounded check gives up naming the holder and the log', async () => {
    const mac = fresh({ mdns: 'gateway' });
    const lab = labOf();
    const error = await runDance(mac, lab).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toBeDefined();
    expect(error!.split('\n')).toEqual([
      `dnsmasq does not serve ${GW} (missing: ${GW}:53, UDP 67) after "/opt/homebrew/bin/brew services restart dnsmasq": 3 checks over 3 s`,
      `dnsmasq is loaded but not running; UDP 53: mDNSResponder[301] on *:53, mDNSResponder[301] on ${GW}:53; mDNSResponder[301] holds the wildcard *:53: dnsmasq binds ${GW}:53 only (bind-interfaces), so both can run; WARNING: mDNSResponder[301] holds ${GW}:53 itself: dnsmasq cannot bind the gateway while it does`,
      `mDNSResponder[301] holds ${GW}:53: it bound the gateway before dnsmasq did; restart socket_vmnet (the bridge is recreated and dnsmasq follows it), or set mac_lab.dns: false to serve DHCP only`,
      'dnsmasq log:',
      `  dnsmasq: failed to create listening socket for ${GW}: Address already in use`,
    ]);
    expect(mac.log).toEqual([
      BOOTSTRAP,
      stampVmnet(definitionSha(lab, mac)),
      stampBridge(21, 1),
      RESTART,
      LSOF,
      DNSMASQ_STATE,
      PAUSE,
      LSOF,
      DNSMASQ_STATE,
      PAUSE,
      LSOF,
      DNSMASQ_STATE,
      IFCONFIG,
      'read: log show --style compact --last 5m --predicate \'process == "dnsmasq"\' | tail -n 8',
    ]);
  });

  it('mDNSResponder on the gateway does not matter with DNS off: dnsmasq (port 0) needs only UDP 67', async () => {
    const mac = fresh({ mdns: 'gateway', dnsmasqDns: false });
    await runDance(mac, labOf({ dns: false }));
    expect(mac.dnsmasq.servesGeneration).toBe(1);
    expect(mac.log.slice(-3)).toEqual([RESTART, LSOF, DNSMASQ_STATE]);
  });

  it('dnsmasq fails to start for another reason: the diagnosis carries its log line', async () => {
    const mac = fresh({ dnsmasqFails: 'dnsmasq: bad option at line 3 of /opt/homebrew/etc/dnsmasq.conf' });
    const lab = labOf();
    await expect(runDance(mac, lab)).rejects.toThrow(/dnsmasq is loaded but not running[\s\S]*dnsmasq log:\n  dnsmasq: bad option at line 3/);
  });

  it('socket_vmnet recreated the bridge behind our back: only the identity step notices; the handler restarts dnsmasq for the new bridge', async () => {
    const mac = fresh();
    const lab = labOf();
    await runDance(mac, lab);
    mac.recreateBridge();
    mac.log.length = 0;
    // lsof still lists dnsmasq on the gateway: sockets alone cannot tell
    expect(mac.answer(macosPlatform().udpSockets).some((s) => s.process === 'dnsmasq' && s.address === GW)).toBe(true);
    const reports = await runDance(mac, lab);
    expect(mac.log).toEqual([stampBridge(22, 2), RESTART, LSOF, DNSMASQ_STATE]);
    expect(reports.find((r) => r.step === 'bridge dnsmasq serves')).toEqual({
      step: 'bridge dnsmasq serves',
      kind: 'change',
      text: ['the bridge changed since dnsmasq was started (bridge100 index 21 generation 1 → bridge100 index 22 generation 2): dnsmasq must bind the new one'],
    });
    expect(mac.dnsmasq.servesGeneration).toBe(2);
  });

  it('socket_vmnet loaded from an older definition (another gateway): bootout, wait until unloaded, bootstrap, then the new bridge', async () => {
    const mac = fresh();
    const old = labOf({ subnet: '192.168.105.0/24' });
    mac.alreadyUp(definitionSha(old, mac), '/var/lib/labwright/mac-lab');
    const lab = labOf();
    const reports = await runDance(mac, lab);
    expect(reports.find((r) => r.step === 'bridge daemon')!.text.slice(0, 2)).toEqual([
      'socket_vmnet was loaded from an older definition: launchctl bootout system/io.github.lima-vm.socket_vmnet',
      'wait until socket_vmnet is unloaded, then launchctl enable system/io.github.lima-vm.socket_vmnet && launchctl bootstrap system /Library/LaunchDaemons/io.github.lima-vm.socket_vmnet.plist',
    ]);
    // the new bridge is there at once (no delay scripted): the wait's plan sees it, no poll
    expect(mac.log).toEqual([BOOTOUT, VMNET_STATE, BOOTSTRAP, stampVmnet(definitionSha(lab, mac)), stampBridge(22, 2), RESTART, LSOF, DNSMASQ_STATE]);
    expect(mac.dnsmasq.servesGeneration).toBe(2);
  });

  it('--check on a fresh Mac: every step says what it would do, nothing runs', async () => {
    const mac = fresh();
    const reports = await runDance(mac, labOf(), { check: true });
    expect(mac.log).toEqual([]);
    expect(reports.map((r) => [r.step, r.kind, r.text[0]])).toEqual([
      ['observe bridge and port 53', 'ok', `no interface holds ${GW} yet; socket_vmnet is not loaded; dnsmasq is not loaded; nothing holds UDP 53`],
      ['bridge daemon', 'change', 'load socket_vmnet: launchctl enable system/io.github.lima-vm.socket_vmnet && launchctl bootstrap system /Library/LaunchDaemons/io.github.lima-vm.socket_vmnet.plist'],
      ['wait for the bridge', 'change', `wait up to 5 s (5 checks) for the bridge to hold ${GW}: socket_vmnet creates it`],
      ['bridge dnsmasq serves', 'unpredictable', `no interface holds ${GW} yet: the bridge socket_vmnet creates is recorded, and dnsmasq restarted for it`],
      ['handler: restart dnsmasq', 'change', '/opt/homebrew/bin/brew services restart dnsmasq'],
      ['dnsmasq serves the bridge', 'change', `dnsmasq does not hold ${GW}:53 or UDP 67 (dnsmasq is not loaded): /opt/homebrew/bin/brew services restart dnsmasq`],
    ]);
  });

  it('down: socket_vmnet booted out and waited for; dnsmasq left alone by the dance', async () => {
    const mac = fresh();
    await runDance(mac, labOf());
    mac.log.length = 0;
    await runDance(mac, labOf({ state: 'absent' }));
    expect(mac.log).toEqual([BOOTOUT, VMNET_STATE]);
    expect(mac.bridge).toBeUndefined();
  });
});


import { defineRole } from '../../src/engine/definitions.js';
import { pathExists } from '../../src/facts/builtin.js';
import { dnsmasqReservationsCheck, renderDnsmasqConfig, renderDnsmasqDhcpHosts, renderDnsmasqHosts } from '../../src/net/dnsmasq-config.js';
import { factFile } from '../../src/ops/fact-file.js';
import { fromFacts } from '../../src/ops/from-facts.js';
import { absent, apt, directory, file } from '../../src/ops/index.js';
import { change, ok, type Op } from '../../src/ops/op.js';
import type { Claim } from '../../src/plan/claims.js';
import { sh, type Command } from '../../src/shell/quote.js';
import {
  bridgeIdentityOp,
  dnsmasqServingOp,
  engineIo,
  observeOp,
  restartDnsmasqOp,
  stampPaths,
  vmnetServiceOp,
  vmnetStoppedOp,
  waitBridgeOp,
  type DanceSpec,
  type IoFor,
} from './dance.js';
import { DEFAULT_LINUX_BRIDGE, linuxPlatform } from './platform-linux.js';
import { macosPlatform, SOCKET_VMNET_LOG_DIR } from './platform-macos.js';
import { interfaceHolding, type LabPaths, type NetInterface, type Platform } from './platform.js';
import { macLabDefaults, macLabSchema, type MacLab } from './vars.js';

export { macLabSchema, type MacLab } from './vars.js';

export function platformOf(lab: MacLab): Platform {
  return lab.platform === 'macos' ? macosPlatform(lab.homebrewPrefix) : linuxPlatform();
}

export function danceSpecOf(lab: MacLab): DanceSpec {
  return {
    subnet: lab.plan.subnet,
    gateway: lab.plan.gateway,
    bridge: lab.bridge ?? (lab.platform === 'linux' ? DEFAULT_LINUX_BRIDGE : undefined),
    dns: lab.dns,
    stateDir: lab.stateDir,
    bridgeWait: lab.bridgeWait,
    dnsmasqWait: lab.dnsmasqWait,
    vmnet: lab.vmnet,
  };
}

/**
 * The interface dnsmasq binds: the pinned one; on Linux the unit's bridge; on
 * a Mac the one holding the gateway, which exists only once socket_vmnet ran
 * (before that — check mode on a fresh Mac — vmnet's first bridge is assumed).
 */
export function fragmentInterface(lab: MacLab, ifaces: readonly NetInterface[]): { name: string; assumption?: string } {
  if (lab.bridge) return { name: lab.bridge };
  if (lab.platform === 'linux') return { name: DEFAULT_LINUX_BRIDGE };
  const holder = interfaceHolding(ifaces, lab.plan.gateway);
  if (holder) return { name: holder.name };
  return { name: 'bridge100', assumption: `no interface holds ${lab.plan.gateway} yet (socket_vmnet not started): assumed bridge100, vmnet's first bridge` };
}

const MANAGED_BY = 'role mac-lab';

/** The lab's dnsmasq fragment: the shared dnsmasq renderer, bound to the bridge (`bind-interfaces`). */
export function renderFragment(lab: MacLab, paths: LabPaths, iface: string): string {
  return renderDnsmasqConfig({ ...lab.dnsmasq, leaseFile: paths.leaseFile }, iface, { hostsFile: paths.hosts, dhcpHostsFile: paths.dhcpHosts }, { managedBy: MANAGED_BY, readResolvConf: true });
}

export function renderReservations(lab: MacLab): string {
  return renderDnsmasqDhcpHosts(lab.dnsmasq, { managedBy: MANAGED_BY });
}

export function renderRecords(lab: MacLab): string {
  return renderDnsmasqHosts(lab.dnsmasq, { managedBy: MANAGED_BY });
}

/** `dnsmasq --test` of the fragment together with the user's main config (dnsmasq has one configuration). */
export function checkFragment(paths: LabPaths, tmp: string): Command {
  const wrapper = `${tmp}.check`;
  // if/else, not `&&`: the atomic write runs this under `set -e`, and the wrapper must go either way
  return sh`(if [ -e ${paths.mainConf} ]; then printf 'conf-file=%s\\n' ${paths.mainConf} ${tmp}; else printf 'conf-file=%s\\n' ${tmp}; fi > ${wrapper}; if ${paths.dnsmasq} --test -C ${wrapper}; then rc=0; else rc=$?; fi; rm -f ${wrapper}; exit $rc)`;
}

/** Homebrew formulae present (their `opt/` links), installed as the connecting user: Homebrew refuses to run as root. */
export function brewFormulae(p: Platform, formulae: readonly string[]): Op {
  return fromFacts(`brew ${formulae.join(' ')}`, p.paths, (paths) => {
    const prefix = paths.brew!.replace(/\/bin\/brew$/, '');
    const facts = formulae.map((f) => pathExists(`${prefix}/opt/${f}`));
    return {
      label: `brew ${formulae.join(' ')}`,
      facts,
      async plan(ctx) {
        const present = await Promise.all(facts.map((f) => ctx.fact(f)));
        const missing = formulae.filter((_, i) => !present[i]);
        if (missing.length === 0) return ok(`${formulae.join(', ')} installed (${prefix}/opt)`);
        const install = sh`${paths.brew!} install ${missing}`;
        return change({ summary: `${install.shown} (as the connecting user)` }, async (c) => {
          await c.run(install, { become: false });
        });
      },
    };
  });
}

/** One step of the role: its task, and whether it is part of the dance (platform commands only). */
export interface LabStep {
  name: string;
  tags: string[];
  notify?: string[];
  when?: (lab: MacLab) => boolean;
  /** Uses only the platform's facts and commands (no file writes): runs against the scripted Mac too. */
  dance: boolean;
  build(lab: MacLab, ioFor: IoFor): Op | Op[];
}

const present = (lab: MacLab) => lab.state === 'present';
const RESTART = 'restart dnsmasq';

/** The role's tasks in order ('flush' = run the notified handlers there). */
export const MAC_LAB_STEPS: readonly (LabStep | 'flush')[] = [
  {
    name: 'packages',
    tags: ['mac-lab:packages'],
    when: present,
    dance: false,
    build: (lab) => (lab.platform === 'macos' ? brewFormulae(platformOf(lab), lab.packages) : apt({ packages: ['dnsmasq'] })),
  },
  {
    name: 'observe bridge and port 53',
    tags: ['mac-lab:dance'],
    dance: true,
    build: (lab) => observeOp(platformOf(lab), danceSpecOf(lab)),
  },
  {
    name: 'bridge daemon definition',
    tags: ['mac-lab:vmnet'],
    when: present,
    dance: false,
    build: (lab) => {
      const p = platformOf(lab);
      const owner = { ...p.rootOwner, mode: '0644' };
      const logDir = lab.platform === 'macos' ? [directory({ path: SOCKET_VMNET_LOG_DIR, ...p.rootOwner, mode: '0755' })] : [];
      return [
        ...logDir,
        fromFacts(`${p.vmnetName} definition`, { facts: [...p.paths.facts], read: (ctx) => p.paths.read(ctx) }, (paths) =>
          factFileFromHost(paths.vmnetDefinition, p, lab, owner),
        ),
      ];
    },
  },
  {
    name: 'bridge daemon',
    tags: ['mac-lab:vmnet'],
    dance: true,
    build: (lab, ioFor) => (lab.state === 'present' ? vmnetServiceOp : vmnetStoppedOp)(platformOf(lab), danceSpecOf(lab), ioFor),
  },
  {
    name: 'bridge daemon definition removed',
    tags: ['mac-lab:vmnet'],
    when: (lab) => lab.state === 'absent',
    dance: false,
    build: (lab) => {
      const p = platformOf(lab);
      const stamps = stampPaths(danceSpecOf(lab));
      return [fromFacts(`${p.vmnetName} definition`, p.paths, (paths) => absent({ path: paths.vmnetDefinition })), absent({ path: stamps.vmnet }), absent({ path: stamps.bridge })];
    },
  },
  {
    name: 'wait for the bridge',
    tags: ['mac-lab:dance'],
    when: present,
    dance: true,
    build: (lab, ioFor) => waitBridgeOp(platformOf(lab), danceSpecOf(lab), ioFor),
  },
  {
    name: 'dnsmasq reservations and records',
    tags: ['mac-lab:dnsmasq'],
    notify: [RESTART],
    dance: false,
    build: (lab) => {
      const p = platformOf(lab);
      return fromFacts('dnsmasq data files', p.paths, (paths) => {
        if (lab.state === 'absent') return [absent({ path: paths.dhcpHosts }), absent({ path: paths.hosts }), absent({ path: paths.dataDir })];
        const owner = { ...p.rootOwner, mode: '0644' };
        return [
          directory({ path: paths.dataDir, ...p.rootOwner, mode: '0755' }),
          file({ path: paths.dhcpHosts, content: renderReservations(lab), ...owner, validate: (tmp) => dnsmasqReservationsCheck(tmp, paths.dnsmasq) }),
          file({ path: paths.hosts, content: renderRecords(lab), ...owner }),
        ];
      });
    },
  },
  {
    name: 'dnsmasq fragment',
    tags: ['mac-lab:dnsmasq'],
    notify: [RESTART],
    dance: false,
    build: (lab) => {
      const p = platformOf(lab);
      return fromFacts('dnsmasq fragment', p.paths, (paths) => {
        if (lab.state === 'absent') return absent({ path: paths.fragment });
        return factFile({
          label: `template ${paths.fragment}`,
          path: paths.fragment,
          ...p.rootOwner,
          mode: '0644',
          facts: [p.interfaces],
          render: (ifaces) => {
            const iface = fragmentInterface(lab, ifaces);
            return { content: renderFragment(lab, paths, iface.name), assumption: iface.assumption };
          },
          validate: (tmp) => checkFragment(paths, tmp),
        });
      });
    },
  },
  {
    name: 'bridge dnsmasq serves',
    tags: ['mac-lab:dance'],
    notify: [RESTART],
    when: present,
    dance: true,
    build: (lab, ioFor) => bridgeIdentityOp(platformOf(lab), danceSpecOf(lab), ioFor),
  },
  'flush',
  {
    name: 'dnsmasq serves the bridge',
    tags: ['mac-lab:dance'],
    when: present,
    dance: true,
    build: (lab, ioFor) => dnsmasqServingOp(platformOf(lab), danceSpecOf(lab), ioFor),
  },
];

export const MAC_LAB_HANDLERS: readonly { name: string; build(lab: MacLab, ioFor: IoFor): Op }[] = [
  { name: RESTART, build: (lab, ioFor) => restartDnsmasqOp(platformOf(lab), danceSpecOf(lab), ioFor, lab.state) },
];

/** The bridge daemon's definition file, rendered from the host's facts (macOS version, socket_vmnet's options). */
function factFileFromHost(path: string, p: Platform, lab: MacLab, owner: { owner: string; group: string; mode: string }): Op {
  const definition = p.vmnetDefinition(lab.vmnet);
  return fromFacts(`file ${path}`, definition, (def) => {
    const inner = file({ path, content: def.content, ...owner, ...(lab.platform === 'macos' ? { validate: (tmp: string) => sh`plutil -lint ${tmp}` } : {}) });
    return {
      label: inner.label,
      facts: inner.facts,
      async plan(ctx) {
        const plan = await inner.plan(ctx);
        const notes = def.notes.map((summary) => ({ summary }));
        if (plan.kind === 'ok') return ok(`${plan.reason}; ${def.notes.join('; ')}`);
        if (def.assumption) return { kind: 'unpredictable', changes: [...plan.changes, ...notes, { summary: `not certain: ${def.assumption}` }], apply: plan.apply };
        return { ...plan, changes: [...plan.changes, ...notes] };
      },
    };
  });
}

/** What the lab uses of the address space (for `--plan`): its network, pool, gateway and reservations. */
export function macLabClaims(lab: MacLab, hostName: string): Claim[] {
  if (lab.state !== 'present') return [];
  const by = `mac-lab on ${hostName}`;
  const { plan } = lab;
  return [
    { kind: 'network', by, cidr: plan.subnet, purpose: 'lan', what: 'LAN (mac-lab VMs)' },
    { kind: 'range', by, range: `${plan.range.start}-${plan.range.end}`, purpose: 'dhcp', what: 'mac-lab DHCP pool' },
    // named like the inventory's own `lan.gateway` claim: the emitted inventory sets it to the same address
    { kind: 'address', by, ip: plan.gateway, purpose: 'gateway', what: 'LAN gateway', subnet: plan.subnet },
    ...plan.vms.map((vm): Claim => ({ kind: 'address', by, ip: vm.ip, purpose: 'reservation', what: vm.name, host: vm.name, mac: vm.mac })),
  ];
}

/**
 * The macOS local-VM lab network (seed 004): socket_vmnet's vmnet bridge
 * holding the gateway, Homebrew dnsmasq serving the VMs' reservations on it,
 * and the interface dance between them — every address derived from one
 * subnet. `platform: linux` runs the same dance on a Linux host.
 */
export const macLab = defineRole({
  name: 'mac-lab',
  vars: macLabSchema,
  defaults: (host) => macLabDefaults(host),
  addressPlan: ({ vars, host }) => macLabClaims(vars, host.name),
  tasks: ({ task, flushHandlers }) =>
    MAC_LAB_STEPS.map((step) =>
      step === 'flush'
        ? flushHandlers()
        : task(step.name, ({ vars }) => step.build(vars, engineIo), {
            tags: step.tags,
            ...(step.notify ? { notify: step.notify } : {}),
            ...(step.when ? { when: ({ vars }: { vars: MacLab }) => step.when!(vars) } : {}),
          }),
    ),
  handlers: ({ handler }) => MAC_LAB_HANDLERS.map((h) => handler(h.name, ({ vars }) => h.build(vars, engineIo))),
});

export default macLab;

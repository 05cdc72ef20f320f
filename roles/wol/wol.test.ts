import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interfaces, type IpAddress } from '../../src/facts/builtin.js';
import type { Fact } from '../../src/facts/fact.js';
import { withImplicitLocalhost } from '../../src/inventory/implicit-localhost.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { magicPacket, parseSecureOn, relaySend, sendFromHere } from '../../src/net/wol.js';
import type { Op, OpContext } from '../../src/ops/op.js';
import { redact, secret } from '../../src/secret.js';
import type { Command } from '../../src/shell/quote.js';
import { chooseNic, nicWakeOnMagic, nicWol, renderLinkFile, wake } from './ops.js';
import { wakeTargets, type WakeTarget } from './vars.js';
import { takeLimit, wakePlays } from './wake.js';

const run = promisify(execFile);

describe('magic packet', () => {
  it('is 6 × 0xFF then the MAC 16 times: 102 bytes, byte for byte', () => {
    const packet = magicPacket('B8-AC-6F-7E-6C-9D');
    const expected = Buffer.from('ffffffffffff' + 'b8ac6f7e6c9d'.repeat(16), 'hex');
    expect(packet.length).toBe(102);
    expect(packet.equals(expected)).toBe(true);
    expect([...packet.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    for (let i = 0; i < 16; i++) expect([...packet.subarray(6 + i * 6, 12 + i * 6)]).toEqual([0xb8, 0xac, 0x6f, 0x7e, 0x6c, 0x9d]);
  });

  it('appends a SecureOn password: 6 bytes → 108, 4 bytes → 106 (hex or dotted)', () => {
    const six = magicPacket('d0:94:66:30:d6:63', secret('00:22:44:66:88:aa'));
    expect(six.length).toBe(108);
    expect(six.subarray(102).toString('hex')).toBe('0022446688aa');
    expect(six.subarray(0, 102).equals(magicPacket('d0:94:66:30:d6:63'))).toBe(true);
    const four = magicPacket('d0:94:66:30:d6:63', '192.168.1.1');
    expect(four.length).toBe(106);
    expect([...four.subarray(102)]).toEqual([192, 168, 1, 1]);
    expect([...parseSecureOn('de:ad:be:ef')]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect([...parseSecureOn('deadbeef0102')]).toEqual([0xde, 0xad, 0xbe, 0xef, 1, 2]);
    for (const bad of ['de:ad:be', 'de:ad:be:ef:01', '1.2.3', 'hunter2', 'de:ad:be:ef:01:02:03']) expect(() => parseSecureOn(bad)).toThrow(/4 or 6 bytes/);
    expect(() => magicPacket('not-a-mac')).toThrow(/invalid MAC/);
  });
});

/** A UDP listener on loopback collecting datagrams. */
async function listener() {
  const socket = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (msg) => got.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, got, close: () => socket.close() };
}

describe('sending (loopback only)', () => {
  let l: Awaited<ReturnType<typeof listener>>;
  beforeEach(async () => void (l = await listener()));
  afterEach(() => l.close());

  it('from the controller process: the exact bytes', async () => {
    const a = magicPacket('02:00:00:00:00:01');
    const b = magicPacket('02:00:00:00:00:02', '1.2.3.4');
    await sendFromHere([{ packet: a, address: '127.0.0.1', port: l.port }, { packet: b, address: '127.0.0.1', port: l.port }]);
    await expect.poll(() => l.got.length).toBe(2);
    expect(l.got[0]!.equals(a)).toBe(true);
    expect(l.got[1]!.equals(b)).toBe(true);
  });

  it('through the relay command (python3): the packets travel on stdin, the password is on no command line', async () => {
    const pw = secret('0a:0b:0c:0d:0e:0f');
    const a = magicPacket('02:00:00:00:00:03');
    const b = magicPacket('02:00:00:00:00:04', pw);
    const { command, stdin } = relaySend([{ packet: a, address: '127.0.0.1', port: l.port }, { packet: b, address: '127.0.0.1', port: l.port, secret: true }], 'python3');
    for (const text of [command.text, command.shown]) {
      expect(text).not.toContain(b.toString('hex'));
      expect(text).not.toContain('0a0b0c0d0e0f');
      expect(text).not.toContain('\\012\\013\\014\\015\\016\\017');
    }
    expect(redact(`sent ${b.toString('hex')}`)).toBe('sent ********');
    const child = run('sh', ['-c', command.text]);
    child.child.stdin!.end(stdin);
    await child;
    await expect.poll(() => l.got.length).toBe(2);
    expect(l.got.map((g) => g.toString('hex'))).toEqual([a.toString('hex'), b.toString('hex')]);
  });

  it('the socat fallback writes the exact bytes (printf octal escapes from stdin); socat\'s arguments hold no packet', async () => {
    // a FAKE socat on PATH: records its arguments and the bytes it got (no socat on the controller)
    const dir = mkdtempSync(join(tmpdir(), 'lw-socat-'));
    writeFileSync(join(dir, 'socat'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${dir}/argv\ncat >> ${dir}/bytes\n`);
    chmodSync(join(dir, 'socat'), 0o755);
    const a = magicPacket('02:00:00:00:00:05');
    const b = magicPacket('02:00:00:00:00:06', secret('de:ad:be:ef'));
    const { command, stdin } = relaySend([{ packet: a, address: '10.4.15.255', port: 9 }, { packet: b, address: '10.4.15.255', port: 7, secret: true }], 'socat');
    expect(command.text).not.toMatch(/\\377|ffffffff|deadbeef/);
    const child = run('sh', ['-c', command.text], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    child.child.stdin!.end(stdin);
    await child;
    expect(readFileSync(join(dir, 'bytes')).equals(Buffer.concat([a, b]))).toBe(true);
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toBe('-u STDIN UDP-DATAGRAM:10.4.15.255:9,broadcast\n-u STDIN UDP-DATAGRAM:10.4.15.255:7,broadcast\n');
  });
});

/** Seed 002 (VMStation): the home network 192.168.4.0/24, two wakeable nodes (config only, no packets). */
const SEED_002 = `all:
  vars:
    lan: { subnet: 192.168.4.0/24, gateway: 192.168.4.1 }
  hosts:
    localhost: { ansible_connection: local }
  children:
    control_plane:
      hosts:
        masternode: { ansible_host: 192.168.4.63 }
    workers:
      hosts:
        storagenodet3500: { ansible_host: 192.168.4.61, mac: b8:ac:6f:7e:6c:9d }
        homelab: { ansible_host: 192.168.4.62, mac: d0:94:66:30:d6:63, wol: { via: masternode, password: !secret 01:02:03:04 } }
`;

async function inventoryOf(yaml: string): Promise<Inventory> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-wol-'));
  writeFileSync(join(dir, 'inventory.yaml'), yaml);
  return loadInventory([join(dir, 'inventory.yaml')]);
}

describe('wake targets and plays', () => {
  it('seed 002: each target is woken at its subnet-directed broadcast, from its sender', async () => {
    const inv = await inventoryOf(SEED_002);
    const targets = wakeTargets(inv, 'workers');
    expect(targets.map(({ name, mac, address, port, via, packet }) => ({ name, mac, address, port, via, bytes: packet.length }))).toEqual([
      { name: 'storagenodet3500', mac: 'b8:ac:6f:7e:6c:9d', address: '192.168.4.255', port: 9, via: 'localhost', bytes: 102 },
      { name: 'homelab', mac: 'd0:94:66:30:d6:63', address: '192.168.4.255', port: 9, via: 'masternode', bytes: 106 },
    ]);
    const plays = wakePlays(inv, 'workers');
    expect(plays.map((p) => [p.name, p.hosts, p.roles[0]!.params])).toEqual([
      ['wake storagenodet3500 from localhost', 'localhost', { targets: 'storagenodet3500' }],
      ['wake homelab from masternode', 'masternode', { targets: 'homelab' }],
    ]);
  });

  it('a /20 gives its own broadcast; wol.broadcast and wol.port override', async () => {
    const inv = await inventoryOf(`all:
  vars: { lan: { subnet: 10.4.0.0/20 } }
  hosts:
    velaryon: { ansible_host: 10.4.0.30, mac: "02:00:00:00:00:30" }
    fenn: { ansible_host: 10.4.0.21, mac: "02:00:00:00:00:21", wol: { broadcast: 255.255.255.255, port: 7 } }
`);
    expect(wakeTargets(inv, 'all').map((t) => `${t.address}:${t.port}`)).toEqual(['10.4.15.255:9', '255.255.255.255:7']);
  });

  it('says what is missing, for every target at once', async () => {
    const inv = await inventoryOf(`all:
  hosts:
    a: { ansible_host: 10.0.0.5 }
    b: { mac: "02:00:00:00:00:0b" }
    c: { mac: "02:00:00:00:00:0c", lan: { subnet: 10.0.0.0/24 }, wol: { password: hunter2 } }
`);
    const message = (() => {
      try {
        wakeTargets(inv, 'all');
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toContain('host a has no `mac` var');
    expect(message).toContain('host b: no subnet to compute the directed broadcast from: set lan.subnet');
    expect(message).toContain('host c: wol.password: expected a SecureOn password of 4 or 6 bytes');
    expect(() => wakeTargets(inv, 'nomatch')).toThrow('no inventory host matches the wake targets "nomatch"');
  });

  it('sends from the controller when the inventory defines no localhost (the implicit one, matched by no group)', async () => {
    const inv = await inventoryOf(SEED_002.replace('  hosts:\n    localhost: { ansible_connection: local }\n', ''));
    expect(inv.hosts.has('localhost')).toBe(false);
    expect(wakePlays(inv, 'storagenodet3500').map((p) => p.hosts)).toEqual(['localhost']);
    const withController = withImplicitLocalhost(inv);
    const [controller] = withController.select('localhost');
    expect(controller!.connection.kind).toBe('local');
    expect(controller!.vars.lan).toEqual({ subnet: '192.168.4.0/24', gateway: '192.168.4.1' });
    expect(withController.select('all').map((h) => h.name)).not.toContain('localhost');
    // a localhost the inventory defines is kept as it is
    const defined = await inventoryOf(SEED_002);
    expect(withImplicitLocalhost(defined)).toBe(defined);
  });

  it('refuses a relay that is not in the inventory, with the fix', async () => {
    const inv = await inventoryOf(SEED_002.replace('wol: { via: masternode,', 'wol: { via: gw9,'));
    expect(() => wakePlays(inv, 'homelab')).toThrow('homelab would be woken from "gw9", which is not an inventory host');
  });

  it('--limit is taken out of the engine options in every spelling', () => {
    for (const argv of [['-i', 'inv', '-l', 'workers'], ['-i', 'inv', '--limit', 'workers'], ['-i', 'inv', '--limit=workers'], ['-i', 'inv', '-lworkers']]) {
      expect(takeLimit(argv)).toEqual({ limit: 'workers', rest: ['-i', 'inv'] });
    }
    expect(takeLimit(['-i', 'inv', '--check'])).toEqual({ limit: undefined, rest: ['-i', 'inv', '--check'] });
  });
});

/** A planning context for one host kind, facts from fixtures, commands recorded. */
function ctxFor(kind: 'ssh' | 'local', facts: [Fact<unknown>, unknown][]) {
  const byId = new Map(facts.map(([f, v]) => [f.id, v]));
  const commands: Command[] = [];
  const inputs: (string | Buffer | undefined)[] = [];
  const host: Host = {
    name: kind === 'local' ? 'localhost' : 'gw1',
    vars: {},
    groups: ['all'],
    connection: { kind, address: 'x', port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 1000 },
  };
  const ctx: OpContext = {
    host,
    fact: async <T,>(f: Fact<T>) => {
      if (!byId.has(f.id)) throw new Error(`no fixture for ${f.id}`);
      return byId.get(f.id) as T;
    },
    run: async (cmd, opts) => {
      commands.push(cmd);
      inputs.push(opts?.stdin);
      return { stdout: '', stderr: '', code: 0 };
    },
    reconnect: async () => {},
  };
  return { ctx, commands, inputs, plan: (op: Op) => op.plan(ctx) };
}

const ifaces = (...addrs: [string, string, number][]): IpAddress[] =>
  addrs.map(([ifname, local, prefixlen]) => ({ ifname, mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local, prefixlen }] }));

const target = (over: Partial<WakeTarget> = {}): WakeTarget => ({
  name: 'worker1', mac: '02:00:00:00:00:21', address: '10.4.15.255', port: 9, subnet: '10.4.0.0/20', routed: false, via: 'gw1', packet: magicPacket('02:00:00:00:00:21'), ...over,
});

describe('wake op', () => {
  it('from a relay host: one command, check mode lists every packet', async () => {
    const { ctx, commands, inputs, plan } = ctxFor('ssh', [[interfaces(), ifaces(['lo', '127.0.0.1', 8], ['eth0', '10.4.0.1', 20])]]);
    const p = await plan(wake([target(), target({ name: 'worker2', mac: '02:00:00:00:00:22', packet: magicPacket('02:00:00:00:00:22') })]));
    if (p.kind !== 'change') throw new Error('expected a change');
    expect(p.changes.map((c) => c.summary)).toEqual([
      'magic packet for worker1 (02:00:00:00:00:21): 102 bytes to 10.4.15.255:9 from gw1',
      'magic packet for worker2 (02:00:00:00:00:22): 102 bytes to 10.4.15.255:9 from gw1',
    ]);
    await p.apply(ctx);
    expect(commands).toHaveLength(1);
    expect(commands[0]!.text).not.toContain(magicPacket('02:00:00:00:00:22').toString('hex'));
    expect(inputs[0]).toContain(`${magicPacket('02:00:00:00:00:22').toString('hex')} `);
  });

  it('a SecureOn password from a relay: on stdin, never in the command text the host receives', async () => {
    const { ctx, commands, inputs, plan } = ctxFor('ssh', [[interfaces(), ifaces(['eth0', '10.4.0.1', 20])]]);
    const pw = secret('13:57:9b:df:02:46');
    const packet = magicPacket('02:00:00:00:00:23', pw);
    const p = await plan(wake([target({ password: pw, packet })]));
    if (p.kind !== 'change') throw new Error('expected a change');
    await p.apply(ctx);
    expect(commands.map((c) => c.text).join('\n')).not.toMatch(/13579bdf0246|\\023\\127\\233\\337\\002\\106/);
    expect(inputs[0]).toContain(packet.toString('hex'));
  });

  it('refuses to send from a host that is not on the target\'s network, unless the target says it is routed', async () => {
    const { plan } = ctxFor('ssh', [[interfaces(), ifaces(['eth0', '192.168.4.2', 24])]]);
    await expect(plan(wake([target()]))).rejects.toThrow('gw1 has no address on the network of worker1 (10.4.0.0/20): routers do not forward directed broadcasts');
    await expect(plan(wake([target({ routed: true })]))).resolves.toMatchObject({ kind: 'change' });
  });

  it('from the controller: Node sends the bytes itself (loopback listener)', async () => {
    const l = await listener();
    try {
      const { ctx, commands, plan } = ctxFor('local', [[interfaces(), ifaces(['lo', '127.0.0.1', 8])]]);
      // loopback is never "the target's network" for the on-link check: routed skips it here (tested above)
      const t = target({ address: '127.0.0.1', port: l.port, subnet: '127.0.0.0/8', routed: true });
      const p = await plan(wake([t]));
      if (p.kind !== 'change') throw new Error('expected a change');
      expect(p.changes[0]!.summary).toBe(`magic packet for worker1 (02:00:00:00:00:21): 102 bytes to 127.0.0.1:${l.port} from the controller`);
      await p.apply(ctx);
      expect(commands).toHaveLength(0);
      await expect.poll(() => l.got.length).toBe(1);
      expect(l.got[0]!.equals(t.packet)).toBe(true);
    } finally {
      l.close();
    }
  });
});

describe('enabling wake-on-lan on a target NIC', () => {
  const select = { mac: '02:00:00:00:00:21' };
  const nic = (supports: string, current: string) => [{ nic: 'enp3s0', mac: '02:00:00:00:00:21', supports, current }];

  it('reads the physical NIC and ethtool\'s Wake-on lines', () => {
    const out = nicWol(select).parse({ stdout: 'nic enp3s0 02:00:00:00:00:21\n\tSupports Wake-on: pumbg\n\tWake-on: d\n', code: 0 });
    expect(out).toEqual(nic('pumbg', 'd'));
    expect(nicWol(select).command.text).toContain("[ -e \"$d/device\" ] || continue; [ \"$(cat \"$d/address\" 2>/dev/null)\" = 02:00:00:00:00:21 ]");
  });

  it('turns it on when off, is ok when on, refuses a NIC without magic-packet support', async () => {
    const off = ctxFor('ssh', [[nicWol(select), nic('pumbg', 'd')]]);
    const p = await off.plan(nicWakeOnMagic('worker1', select));
    expect(p).toMatchObject({ kind: 'change', changes: [{ summary: 'enp3s0: Wake-on d → g (ethtool -s enp3s0 wol g)' }] });
    if (p.kind !== 'ok') await p.apply(off.ctx);
    expect(off.commands.map((c) => c.text)).toEqual(['ethtool -s enp3s0 wol g']);
    const on = ctxFor('ssh', [[nicWol(select), nic('pumbg', 'g')]]);
    expect(await on.plan(nicWakeOnMagic('worker1', select))).toEqual({ kind: 'ok', reason: 'enp3s0 already wakes on magic packets (Wake-on: g)' });
    expect(() => chooseNic(nic('pumb', 'd'), 'worker1', select)).toThrow('worker1: enp3s0 cannot wake on a magic packet (ethtool: Supports Wake-on: pumb)');
    expect(() => chooseNic([], 'worker1', select)).toThrow('worker1 has no physical NIC with MAC 02:00:00:00:00:21 (bridges, bonds, VLANs and veths do not count): set wol.interface');
  });

  it('persists it with a .link file that keeps the default naming policy', () => {
    expect(renderLinkFile(nic('pumbg', 'g')[0]!)).toContain('[Match]\nMACAddress=02:00:00:00:00:21\n\n[Link]\nNamePolicy=keep kernel database onboard slot path\nAlternativeNamesPolicy=database onboard slot path\nMACAddressPolicy=persistent\nWakeOnLan=magic\n');
  });
});

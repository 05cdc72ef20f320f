import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { broadcast } from '../../src/net/address.js';
import { magicPacket, parseSecureOn } from '../../src/net/wol.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { LINK_FILE, wol } from './index.js';
import { wakeMain } from './wake.js';
import { captureIo } from '../../test/support/io.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * Real magic packets on the lab network: a UDP listener on port 9 of one lab
 * host records every datagram (length, bytes, source); the packets come from
 * another lab host (relay) and from the controller itself, which sits on the
 * lab's Docker bridge. The targets are inventory hosts that do not exist:
 * sleeping machines are never contacted, only their MACs travel.
 */
const LAB = `wol-${process.pid}`;
const PW6 = '0a:0b:0c:0d:0e:0f';

const LISTENER = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 9))
while True:
    data, src = s.recvfrom(4096)
    with open("/tmp/wol.log", "a") as log:
        log.write("%d %s %s\\n" % (len(data), data.hex(), src[0]))
`;

let lab: Lab;
let relay: LabHost;
let listener: LabHost;
let extra: string;
const received = async () => (await shOn(listener, 'cat /tmp/wol.log 2>/dev/null || true')).split('\n').filter(Boolean);
const clear = () => shOn(listener, ': > /tmp/wol.log');

/** A second inventory file: the controller as `localhost`, the sleeping targets, the shared subnet. */
function extraInventory(relayVars = '{}'): string {
  return `all:
  vars:
    lan: { subnet: ${lab.network.subnet} }
  hosts:
    localhost: { ansible_connection: local }
    relay: ${relayVars}
  children:
    workers:
      hosts:
        sleeper1: { mac: "02:00:5e:00:00:01" }
        sleeper2: { mac: "02:00:5e:00:00:02", wol: { password: !secret "${PW6}" } }
    far:
      hosts:
        sleeper3: { mac: "02:00:5e:00:00:03", wol: { via: relay } }
        sleeper4: { mac: "02:00:5e:00:00:04", wol: { via: relay, password: !secret "${PW6}" } }
    elsewhere:
      hosts:
        # loopback: no sender is "on" it (lo never counts), and were the check ever
        # broken, the packet would stay on the controller (never a real network)
        sleeper5: { mac: "02:00:5e:00:00:05", lan: { subnet: 127.0.0.0/8 } }
`;
}

function wake(limit: string, flags: string[] = [], inv = extra) {
  const io = captureIo();
  return wakeMain(['-i', lab.inventoryPath, '-i', inv, '--limit', limit, ...flags], io).then((code) => ({ code, out: io.stdout + io.stderr }));
}

const line = (mac: string, src: string, password?: string) => {
  const packet = magicPacket(mac, password);
  return `${packet.length} ${packet.toString('hex')} ${src}`;
};

describe('wol role on lab hosts', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'relay', groups: ['relays'] }, { name: 'listener', groups: ['listeners'] }] });
    relay = lab.host('relay');
    listener = lab.host('listener');
    await shOn(listener, `systemd-run --unit=wol-listener python3 -c '${LISTENER}' && for i in $(seq 50); do ss -Hlun 'sport = :9' | grep -q . && exit 0; sleep 0.1; done; exit 1`);
    extra = `${lab.inventoryPath}.wol.yaml`;
    writeFileSync(extra, extraInventory());
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('--check sends nothing and lists the packets it would send', async () => {
    await clear();
    const { code, out } = await wake('workers:far', ['--check']);
    expect(code, out).toBe(0);
    const bcast = broadcast(lab.network.subnet);
    expect(out).toContain(`magic packet for sleeper1 (02:00:5e:00:00:01): 102 bytes to ${bcast}:9 from the controller`);
    expect(out).toContain(`magic packet for sleeper4 (02:00:5e:00:00:04, SecureOn): 108 bytes to ${bcast}:9 from relay`);
    // proven below too: the real run's packets are the only ones the listener ever sees
    expect(await received()).toEqual([]);
  });

  it('wakes the limited hosts: exact bytes from the controller and from a relay, to the directed broadcast', async () => {
    const { code, out } = await wake('workers:far');
    expect(code, out).toBe(0);
    expect(out).toContain('PLAY [wake sleeper1, sleeper2 from localhost]');
    expect(out).toContain('PLAY [wake sleeper3, sleeper4 from relay]');
    expect(out).not.toContain('0a0b0c0d0e0f'); // the SecureOn password never shows
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(4);
    const got = await received();
    const controller = lab.network.gateway;
    expect(got.sort()).toEqual(
      [
        line('02:00:5e:00:00:01', controller),
        line('02:00:5e:00:00:02', controller, PW6),
        line('02:00:5e:00:00:03', relay.ip),
        line('02:00:5e:00:00:04', relay.ip, PW6),
      ].sort(),
    );
    expect(got.map((l) => Number(l.split(' ')[0])).sort()).toEqual([102, 102, 108, 108]);
    expect(parseSecureOn(PW6).toString('hex')).toBe('0a0b0c0d0e0f');
  });

  it('the relay falls back to socat: same bytes', async () => {
    await clear();
    const socatInv = `${lab.inventoryPath}.wol-socat.yaml`;
    writeFileSync(socatInv, extraInventory('{ wol: { tool: socat } }'));
    const { code, out } = await wake('far', [], socatInv);
    expect(code, out).toBe(0);
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(2);
    expect((await received()).sort()).toEqual([line('02:00:5e:00:00:03', relay.ip), line('02:00:5e:00:00:04', relay.ip, PW6)].sort());
  });

  it('refuses to send a directed broadcast from off the target\'s network, and sends nothing', async () => {
    await clear();
    const { code, out } = await wake('sleeper5:sleeper1');
    expect(code, out).toBe(2);
    expect(out).toContain('localhost has no address on the network of sleeper5 (127.0.0.0/8)');
    // one op for all of a sender's targets: sleeper1's packet did not go either
    await wake('sleeper3');
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(1);
    expect(await received()).toEqual([line('02:00:5e:00:00:03', relay.ip)]);
  });

  it('enabling wake on a NIC refuses what cannot wake (a veth), writing nothing', async () => {
    const mac = (await shOn(listener, 'cat /sys/class/net/eth0/address')).trim();
    const inv = `${lab.inventoryPath}.wol-enable.yaml`;
    writeFileSync(inv, `all:\n  hosts:\n    listener: { mac: "${mac}" }\n`);
    const plays = (params: Record<string, unknown>) => [play({ name: 'enable', hosts: 'listeners', roles: [wol.with({ enable: true, ...params })] })];
    const byMac = captureIo();
    expect(await main(plays({}), ['-i', lab.inventoryPath, '-i', inv], byMac)).toBe(2);
    expect(byMac.stdout).toContain(`listener has no physical NIC with MAC ${mac} (bridges, bonds, VLANs and veths do not count): set wol.interface`);
    const byName = captureIo();
    expect(await main(plays({ interface: 'eth0' }), ['-i', lab.inventoryPath, '-i', inv], byName)).toBe(2);
    expect(byName.stdout).toContain('listener: eth0 cannot wake on a magic packet (ethtool: Supports Wake-on: not reported)');
    expect((await listener.exec(['test', '-e', LINK_FILE])).exitCode).toBe(1);
  });
});

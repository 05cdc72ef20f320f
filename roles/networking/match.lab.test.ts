import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { numberToV4, parseCidr, v4Bounds } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { networking } from './index.js';
import { captureIo } from '../../test/support/io.js';
import { sshAnswers } from '../../test/support/lab-ssh.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * NIC matching on a real host (systemd-networkd): a bridge port found by a
 * name glob under a name of the configuration's own (`uplink`), and the lab
 * NIC found by match under the name `lan`, whose address is moved away: the
 * lock-out guard must see through the match (eth0 is the live link) and roll
 * back. The lab's links are veths, which have no permanent MAC: a MAC match
 * never fits them (unit-tested), so they are matched by name. Bridge addresses are TEST-NET-1
 * inside the container; nothing leaves it but the lab's own network.
 */
const LAB = `match-${process.pid}`;
const ROLLBACK = 30;

let lab: Lab;
let h: LabHost;

async function apply(vars: Record<string, unknown>) {
  const io = captureIo();
  const plays = [play({ name: 'networking', hosts: 'h1', roles: [networking.with({ rollback_after: ROLLBACK, settle_timeout: 15 })] })];
  const code = await main(plays, ['-i', lab.inventoryPath, '-e', JSON.stringify({ networking: vars })], io);
  return { code, out: io.stdout + io.stderr };
}

const addrs = async (dev: string) => (JSON.parse(await shOn(h, `ip -j addr show dev ${dev}`)) as { addr_info: { local: string; prefixlen: number }[] }[])[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);

const BRIDGE = { interfaces: { uplink: { match: { name: 'lwport*' } } }, bridges: { br0: { interfaces: ['uplink'], addresses: ['192.0.2.1/24'] } } };

describe('networking: NICs found by match, on a lab host', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'h1', groups: ['net'] }] });
    h = lab.host('h1');
    await shOn(h, 'ip link add lwport0 type veth peer name lwpeer0 && ip link set lwpeer0 up');
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('a bridge port found by a name glob: networkd applies our uplink file to lwport0, and a re-run changes nothing', async () => {
    const vars = BRIDGE;
    const r = await apply(vars);
    expect(r.code, r.out).toBe(0);
    expect(await shOn(h, 'cat /etc/systemd/network/10-labwright-uplink.network')).toContain('Name=lwport*');
    expect((await shOn(h, "ip -j link show dev lwport0 | sed -n 's/.*\"master\":\"\\([^\"]*\\)\".*/\\1/p'")).trim()).toBe('br0');
    expect(await shOn(h, 'networkctl status --no-pager -n 0 lwport0')).toContain('/etc/systemd/network/10-labwright-uplink.network');
    expect(await addrs('br0')).toContain('192.0.2.1/24');
    expect((await apply(vars)).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  it('moving the lab address off the NIC found by match (lan: eth0) cuts the controller off: rolled back', async () => {
    const prefix = parseCidr(lab.network.subnet).prefix;
    const wrong = `${numberToV4(v4Bounds(lab.network.subnet).last - 9)}/${prefix}`; // an unused lab address
    const files = await shOn(h, 'cat /etc/systemd/network/*');
    const r = await apply({ ...BRIDGE, interfaces: { ...BRIDGE.interfaces, lan: { match: { name: 'eth0' }, addresses: [wrong] } } });
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('rolled back');
    expect(r.out).toContain('answers over a new connection');
    expect(await addrs('eth0')).toContain(`${h.ip}/${prefix}`);
    expect(await addrs('eth0')).not.toContain(wrong);
    expect(await shOn(h, 'cat /etc/systemd/network/*')).toBe(files);
    expect(await sshAnswers(lab, h)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { numberToV4, parseCidr, v4Bounds, v4ToNumber } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { networking } from './index.js';
import { captureIo } from '../../test/support/io.js';
import { sshAnswers } from '../../test/support/lab-ssh.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * The networking role (systemd-networkd renderer) on a real host: a bridge
 * over a veth port with STP and MTU, a VLAN on it where the kernel has 802.1Q,
 * a change that re-creates the bridge, and a change that moves the lab address
 * off eth0, which cuts the controller off and must be rolled back. Addresses on
 * br0 are from 192.0.2.0/24 (TEST-NET-1) inside the container; the only
 * packets that leave a container go to the lab's own network.
 */
const LAB = `net-${process.pid}`;
const ROLLBACK = 30;

let lab: Lab;
let h: LabHost;
let vlanSupported = false;

async function apply(vars: Record<string, unknown>, flags: string[] = []) {
  const io = captureIo();
  const plays = [play({ name: 'networking', hosts: 'h1', roles: [networking.with({ rollback_after: ROLLBACK, settle_timeout: 15 })] })];
  const code = await main(plays, ['-i', lab.inventoryPath, '--diff', '-e', JSON.stringify({ networking: vars }), ...flags], io);
  return { code, out: io.stdout + io.stderr };
}

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { local: string; prefixlen: number }[];
}

async function link(name: string): Promise<IpLink | undefined> {
  const r = await h.exec(['ip', '-d', '-j', 'addr', 'show', 'dev', name]);
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.output) as IpLink[])[0];
}

async function waitFor<T>(what: string, get: () => Promise<T>, okay: (v: T) => boolean, seconds = 30): Promise<T> {
  let v = await get();
  for (let i = 0; i < seconds * 2 && !okay(v); i++) {
    await new Promise((r) => setTimeout(r, 500));
    v = await get();
  }
  if (!okay(v)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
  return v;
}

const hasAddr = (l: IpLink | undefined, a: string) => (l?.addr_info ?? []).some((x) => `${x.local}/${x.prefixlen}` === a);

/** /etc, /var/lib/labwright, every unit's state and the links: what --check must not change. */
const hostState = () =>
  shOn(h, 'find /etc /var/lib/labwright -xdev -type f -exec sha256sum {} + 2>/dev/null | sort | sha256sum; systemctl list-units --all --no-legend --plain | sort | sha256sum; ip -br addr | sort');
const networkdFiles = () => shOn(h, 'cd /etc/systemd/network && for f in $(ls -A); do echo "== $f"; cat "$f"; done');

const BRIDGE = {
  bridges: {
    br0: { interfaces: ['lwport0'], stp: true, mtu: 1400, mac: '02:00:00:00:4c:01', addresses: ['192.0.2.1/24'] },
  },
};

describe('networking role (systemd-networkd) on a lab host', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'h1', groups: ['net'] }] });
    h = lab.host('h1');
    // the port: one end of a veth pair (this kernel has no dummy links); the peer up gives it carrier
    await shOn(h, 'ip link add lwport0 type veth peer name lwpeer0 && ip link set lwpeer0 up');
    vlanSupported = (await h.exec(['ip', 'link', 'add', 'link', 'lwpeer0', 'name', 'lwprobe.5', 'type', 'vlan', 'id', '5'])).exitCode === 0;
    if (vlanSupported) await shOn(h, 'ip link del lwprobe.5');
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('--check shows the planned files and changes nothing', async () => {
    const before = await hostState();
    const r = await apply(BRIDGE, ['--check']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('+++ /etc/systemd/network/10-labwright-br0.netdev (after)');
    expect(r.out).toContain('+STP=yes');
    expect(r.out).toContain('+Bridge=br0');
    expect(r.out).toContain('br0 does not exist');
    expect(r.out).toMatch(/enable systemd-networkd/);
    expect(await hostState()).toBe(before);
    expect(await link('br0')).toBeUndefined();
  });

  it('creates br0 over the veth port with STP, MTU, fixed MAC and address; eth0 stays unmanaged', async () => {
    const r = await apply(BRIDGE);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/h1\s+: ok=\d+\s+changed=2/);

    const br = await waitFor('br0 address', () => link('br0'), (l) => hasAddr(l, '192.0.2.1/24'), 30);
    expect(br!.linkinfo?.info_kind).toBe('bridge');
    expect(br!.linkinfo?.info_data?.stp_state).toBe(1);
    // STP's default timers: forward delay 4 s, max age 6 s (the kernel's own are 15 s and 20 s)
    expect(br!.linkinfo?.info_data?.forward_delay).toBe(400); // centiseconds
    expect(br!.linkinfo?.info_data?.max_age).toBe(600);
    expect(br!.mtu).toBe(1400);
    expect(br!.address).toBe('02:00:00:00:4c:01');
    const port = await link('lwport0');
    expect(port!.master).toBe('br0');
    expect(port!.mtu).toBe(1400);
    // a port carries no IP of its own: no IPv6 link-local address
    expect(port!.addr_info ?? []).toEqual([]);

    expect((await shOn(h, 'systemctl is-enabled systemd-networkd; systemctl is-active systemd-networkd')).split('\n').slice(0, 2)).toEqual(['enabled', 'active']);
    expect(await shOn(h, 'networkctl list --no-legend eth0')).toMatch(/unmanaged/);
    expect(hasAddr(await link('eth0'), `${h.ip}/${parseCidr(lab.network.subnet).prefix}`)).toBe(true);
    expect(await shOn(h, 'ls /etc/systemd/network')).not.toContain('eth0');
    expect(await sshAnswers(lab, h)).toBe(true);
  });

  it('a second apply changes nothing', async () => {
    const r = await apply(BRIDGE);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  it('a VLAN on br0: created with its id and MTU where the kernel has 802.1Q, otherwise refused and rolled back', async () => {
    const withVlan = { bridges: BRIDGE.bridges, vlans: { 'br0.100': { mtu: 1300, addresses: ['192.0.2.129/25'] } } };
    const filesBefore = await networkdFiles();
    const r = await apply(withVlan);
    if (vlanSupported) {
      expect(r.code, r.out).toBe(0);
      const vlan = await waitFor('br0.100', () => link('br0.100'), (l) => l !== undefined, 20);
      expect(vlan!.linkinfo?.info_kind).toBe('vlan');
      expect(vlan!.linkinfo?.info_data?.id).toBe(100);
      expect(vlan!.mtu).toBe(1300);
      expect((await apply(withVlan)).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
    } else {
      // this kernel (CONFIG_VLAN_8021Q unset) cannot create it: networkd fails br0, the activation fails, all is put back
      expect(r.code, r.out).toBe(2);
      expect(r.out).toContain('rolled back');
      expect(r.out).toContain('br0: systemd-networkd failed to configure it');
      expect(await networkdFiles()).toBe(filesBefore);
      const br = await waitFor('br0 address back', () => link('br0'), (l) => hasAddr(l, '192.0.2.1/24'), 30);
      expect(br!.mtu).toBe(1400);
      expect(await shOn(h, 'systemctl list-timers --all --no-legend --plain | grep labwright-rollback || true')).toBe('');
    }
  });

  it('turning STP off re-creates br0 (networkd never changes an existing netdev)', async () => {
    const off = { bridges: { br0: { ...BRIDGE.bridges.br0, stp: false } } };
    const check = await apply(off, ['--check']);
    expect(check.out).toContain('-STP=yes');
    expect(check.out).toContain('+STP=no');
    const r = await apply(off);
    expect(r.code, r.out).toBe(0);
    const br = await waitFor('br0 back', () => link('br0'), (l) => hasAddr(l, '192.0.2.1/24'), 30);
    expect(br!.linkinfo?.info_data?.stp_state).toBe(0);
    expect((await link('lwport0'))!.master).toBe('br0');
    expect((await apply(off)).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  it('moving the lab address off eth0 cuts the controller off: rolled back, eth0 gets its address back', async () => {
    const prefix = parseCidr(lab.network.subnet).prefix;
    const { last } = v4Bounds(lab.network.subnet);
    const wrong = `${numberToV4(last - 7)}/${prefix}`; // an unused lab address
    expect(v4ToNumber(wrong.split('/')[0])).not.toBe(v4ToNumber(h.ip));
    const filesBefore = await networkdFiles();
    const started = Date.now();
    const r = await apply({ bridges: { br0: { ...BRIDGE.bridges.br0, stp: false } }, interfaces: { eth0: { addresses: [wrong] } } });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('rolled back');
    expect(r.out).toContain('answers over a new connection');
    console.log(`lock-out change rolled back and confirmed after ${seconds.toFixed(1)} s (rollback timer ${ROLLBACK} s)`);

    const eth0 = await link('eth0');
    expect(hasAddr(eth0, `${h.ip}/${prefix}`)).toBe(true);
    expect(hasAddr(eth0, wrong)).toBe(false);
    expect(await shOn(h, 'ip -j route show default')).toContain(lab.network.gateway);
    expect(await networkdFiles()).toBe(filesBefore);
    expect(await sshAnswers(lab, h)).toBe(true);
    // and the engine's own new connection agrees: the previous state is intact
    expect((await apply({ bridges: { br0: { ...BRIDGE.bridges.br0, stp: false } } })).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  it('removing every link deletes br0, its files, and frees the port', async () => {
    const r = await apply({});
    expect(r.code, r.out).toBe(0);
    expect(await link('br0')).toBeUndefined();
    expect(await shOn(h, 'ls -A /etc/systemd/network')).toBe('');
    expect((await link('lwport0'))!.master).toBeUndefined();
    expect((await apply({})).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });

  it('a port ifupdown also brings up with DHCP is refused; take_over hands it over (inet manual, its DHCP client stopped)', async () => {
    // what Debian's installer leaves for the NIC, and the DHCP client ifupdown runs for it (no server here: it keeps asking)
    await shOn(h, "printf 'allow-hotplug lwport0\\niface lwport0 inet dhcp\\n' > /etc/network/interfaces.d/lwport0");
    await shOn(h, 'dhclient -4 -nw -pf /run/dhclient.lwport0.pid -lf /var/lib/dhcp/dhclient.lwport0.leases lwport0');
    const dhclient = () => h.exec(['pgrep', '-f', 'dhclient.lwport0.pid']).then((r) => r.exitCode === 0);
    expect(await dhclient()).toBe(true);

    const refused = await apply(BRIDGE);
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toContain('lwport0: ifupdown (/etc/network/interfaces.d/lwport0:2: iface lwport0 inet dhcp)');
    expect(refused.out).toContain('Set networking.take_over: true');
    expect(await link('br0')).toBeUndefined();
    expect(await shOn(h, 'ls -A /etc/systemd/network')).toBe('');

    const taken = await apply({ ...BRIDGE, take_over: true });
    expect(taken.code, taken.out).toBe(0);
    expect(await shOn(h, 'cat /etc/network/interfaces.d/lwport0')).toBe(
      'allow-hotplug lwport0\n# labwright (role networking): was "iface lwport0 inet dhcp"; lwport0 is managed by systemd-networkd\niface lwport0 inet manual\n',
    );
    await waitFor('ifupdown\'s DHCP client on lwport0 to stop', dhclient, (running) => !running, 20);
    expect((await link('lwport0'))!.master).toBe('br0');
    expect((await apply({ ...BRIDGE, take_over: true })).out).toMatch(/h1\s+: ok=\d+\s+changed=0/);
  });
});

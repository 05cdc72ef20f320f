import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { nthHost, v4ToNumber } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { checkReservations, dnsmasq } from './index.js';
import { addressOn, createSegment, type Segment } from './lab-support.js';
import { leasesCli } from './leases-cli.js';
import type { LeaseFile } from './leases.js';
import { captureIo } from '../../test/support/io.js';
import { shOn, shResult } from '../../test/support/lab-shell.js';

/**
 * dnsmasq on real containers: a DHCP segment of the test's own (a Docker
 * bridge network created here, removed with the lab; see lab-support.ts), a
 * server and two clients on it, real DHCP exchanges and DNS queries.
 */
const LAB = `dnsmasq-${process.pid}`;
const NODE1_MAC = '02:1a:b0:00:00:50';

let lab: Lab;
let segment: Segment;
let subnet: string;
let serverIp: string;
let reserved: string;
let inventory: string;
let dns1: LabHost;
let node1: LabHost;
let node2: LabHost;

/** The whole of /etc and dnsmasq's unit state, to prove --check touched nothing. */
const stateOf = (host: LabHost) =>
  shOn(host, "find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; systemctl is-active dnsmasq; systemctl is-enabled dnsmasq; ls /var/lib/misc");
const mainPid = async () => (await shOn(dns1, 'systemctl show -p MainPID --value dnsmasq')).trim();
const journal = () => shOn(dns1, 'journalctl -u dnsmasq -o cat --no-pager');
const count = (text: string, needle: string) => text.split(needle).length - 1;

function apply(params: Record<string, unknown> = {}, flags: string[] = [], inv = inventory) {
  const io = captureIo();
  const plays = [play({ name: 'dhcp', hosts: 'dhcp_servers', roles: [dnsmasq.with({ router: serverIp, ...params })] })];
  return main(plays, ['-i', inv, ...flags], io).then((code) => ({ code, out: io.stdout + io.stderr }));
}


/** Runs dhclient once on the segment interface (own pid and lease file) and returns the address it got. */
async function dhcp(host: LabHost, iface: string): Promise<string> {
  await shOn(host, `timeout 60 dhclient -v -1 -pf /run/dhclient.lw.pid -lf /var/lib/dhcp/dhclient.lw.leases ${iface} 2>&1`);
  const out = await shOn(host, `ip -4 -o addr show dev ${iface}`);
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out);
  if (!m) throw new Error(`${host.name}: no address on ${iface} after dhclient:\n${out}`);
  return m[1]!;
}

describe('dnsmasq role on lab hosts', () => {
  let node1If: string;
  let node2If: string;

  beforeAll(async () => {
    segment = await createSegment(LAB, 'dhcp');
    subnet = segment.subnet;
    try {
      reserved = nthHost(subnet, 50);
      lab = await startLab({
        name: LAB,
        hosts: [
          { name: 'dns1', groups: ['dhcp_servers'], vars: { lan: { subnet, domain: 'lab.example' } } },
          { name: 'node1', groups: ['clients'], vars: { ip: reserved, mac: NODE1_MAC } },
          { name: 'node2', groups: ['clients'] },
        ],
      });
    } catch (e) {
      await segment.remove();
      throw e;
    }
    inventory = lab.inventoryPath;
    [dns1, node1, node2] = [lab.host('dns1'), lab.host('node1'), lab.host('node2')];
    for (const h of lab.hosts) await segment.connect(h);
    serverIp = (await addressOn(dns1, subnet)).ip;
    node1If = (await addressOn(node1, subnet)).ifname;
    node2If = (await addressOn(node2, subnet)).ifname;
    // The clients give up Docker's static address on the segment; node1 takes the reserved MAC.
    await shOn(node1, `ip addr flush dev ${node1If} && ip link set dev ${node1If} down && ip link set dev ${node1If} address ${NODE1_MAC} && ip link set dev ${node1If} up`);
    await shOn(node2, `ip addr flush dev ${node2If}`);
  });

  afterAll(async () => {
    await lab?.stop();
    await segment?.remove();
  });

  it('--check changes nothing and shows the planned config', async () => {
    const before = await stateOf(dns1);
    const { code, out } = await apply({}, ['--check', '--diff']);
    expect(code, out).toBe(0);
    expect(out).toContain('(check mode)');
    expect(out).toContain('+interface=eth1');
    expect(out).toContain(`+dhcp-range=set:lan,${nthHost(subnet, 100)},${nthHost(subnet, 199)},`);
    expect(out).toContain(`+${NODE1_MAC},${reserved},node1`);
    expect(out).toContain('start dnsmasq');
    expect(await stateOf(dns1)).toBe(before);
    expect(before).toContain('inactive');
  });

  it('applies: dnsmasq runs bound to the segment; a second apply changes nothing', async () => {
    const first = await apply();
    expect(first.code, first.out).toBe(0);
    expect((await shOn(dns1, 'systemctl is-active dnsmasq; systemctl is-enabled dnsmasq')).split('\n').slice(0, 2)).toEqual(['active', 'enabled']);
    // bound to addresses (bind-dynamic), never the wildcard
    const sockets = await shOn(dns1, "ss -Hlntu 'sport = :53' | awk '{print $1, $5}'");
    expect(sockets).toContain(`udp ${serverIp}:53`);
    expect(sockets).toContain(`tcp ${serverIp}:53`);
    expect(sockets).toContain('udp 127.0.0.1:53');
    expect(sockets).not.toMatch(/ (0\.0\.0\.0|\*|\[::\]):53/);

    const again = await apply();
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/dns1\s+: ok=\d+\s+changed=0/);
    expect(again.out).not.toContain('RUNNING HANDLER');
  });

  it('hands node1 its reserved address and node2 one from the dynamic range; DNS answers both', async () => {
    expect(await dhcp(node1, node1If)).toBe(reserved);
    const dynamic = await dhcp(node2, node2If);
    expect(v4ToNumber(dynamic)).toBeGreaterThanOrEqual(v4ToNumber(nthHost(subnet, 100)));
    expect(v4ToNumber(dynamic)).toBeLessThanOrEqual(v4ToNumber(nthHost(subnet, 199)));

    expect((await shOn(node2, `dig +short +time=3 @${serverIp} node1.lab.example`)).trim()).toBe(reserved);
    // node2's own DHCP name (sent by dhclient) is in the local zone too
    expect((await shOn(node1, `dig +short +time=3 @${serverIp} node2.lab.example`)).trim()).toBe(dynamic);
    // the local zone is never forwarded: an unknown name is NXDOMAIN at once
    expect(await shOn(node1, `dig +time=3 @${serverIp} nothere.lab.example`)).toContain('status: NXDOMAIN');

    const io = captureIo();
    expect(await leasesCli(['-i', inventory, '-l', 'dhcp_servers'], io.out, io.err), io.stderr).toBe(0);
    const report = JSON.parse(io.stdout) as Record<string, LeaseFile>;
    const leases = report.dns1!.leases;
    expect(leases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ family: 'ipv4', ip: reserved, mac: NODE1_MAC, hostname: 'node1' }),
        expect.objectContaining({ family: 'ipv4', ip: dynamic, hostname: 'node2' }),
      ]),
    );
    expect(leases.every((l) => l.expires === null || Date.parse(l.expires) > Date.now())).toBe(true);
  });

  it('a changed reservation is a SIGHUP, not a restart, and reaches the client when it renews', async () => {
    const moved = nthHost(subnet, 51);
    const doc = parse(readFileSync(inventory, 'utf8'));
    doc.all.children.clients.hosts.node1.ip = moved;
    const changedInventory = `${inventory}.moved.yaml`;
    writeFileSync(changedInventory, stringify(doc));

    const pid = await mainPid();
    const reads = count(await journal(), 'read /etc/dnsmasq.labwright/dhcp-hosts');
    const { code, out } = await apply({}, [], changedInventory);
    expect(code, out).toBe(0);
    expect(out).toContain('RUNNING HANDLER [dnsmasq : reload dnsmasq]');
    expect(out).not.toContain('restart dnsmasq');
    expect(await mainPid()).toBe(pid);
    // dnsmasq logs each read of the hosts file: one more read, same process
    await expect.poll(async () => count(await journal(), 'read /etc/dnsmasq.labwright/dhcp-hosts'), { timeout: 10_000 }).toBe(reads + 1);
    expect((await shOn(node2, `dig +short +time=3 @${serverIp} node1.lab.example`)).trim()).toBe(moved);

    // node1's client restarts and asks for its old address (from its lease file): NAK, then the new reservation
    await shOn(node1, `dhclient -x -pf /run/dhclient.lw.pid ${node1If} 2>&1 || true`);
    expect(await dhcp(node1, node1If)).toBe(moved);
    // (dnsmasq's reason: "address not available"; the client then takes the offered new reservation)
    expect(await journal()).toContain(`DHCPNAK(eth1) ${reserved} ${NODE1_MAC} `);
    expect(await mainPid()).toBe(pid);
    inventory = changedInventory;
  });

  it('a main-config change restarts dnsmasq (through the handler only)', async () => {
    const pid = await mainPid();
    const { code, out } = await apply({ lease_time: '2h' });
    expect(code, out).toBe(0);
    expect(out).toContain('RUNNING HANDLER [dnsmasq : restart dnsmasq]');
    expect(out).not.toContain('reload dnsmasq');
    expect(await mainPid()).not.toBe(pid);
    expect(await shOn(dns1, 'cat /etc/dnsmasq.d/labwright.conf')).toContain(',2h\n');
  });

  it('a config dnsmasq --test refuses never goes live; the running one stays', async () => {
    const conf = await shOn(dns1, 'sha256sum /etc/dnsmasq.d/labwright.conf');
    const pid = await mainPid();
    const { code, out } = await apply({ lease_time: '2h', extra_options: ['no-such-option=1'] });
    expect(code, out).toBe(2);
    expect(out).toMatch(/bad option at line \d+ of \/etc\/dnsmasq\.d\/\.labwright\.conf\.lwtmp\./);
    expect(out).not.toContain('RUNNING HANDLER');
    expect(await shOn(dns1, 'sha256sum /etc/dnsmasq.d/labwright.conf')).toBe(conf);
    expect(await shOn(dns1, 'ls -a /etc/dnsmasq.d')).not.toContain('lwtmp');
    expect(await mainPid()).toBe(pid);
    expect((await shOn(node2, `dig +short +time=3 @${serverIp} node1.lab.example`)).trim()).toBe(nthHost(subnet, 51));
  });

  it('a second DHCP server on the segment keeps its clients: dnsmasq is not authoritative by default', async () => {
    // node1 plays the home router: a DHCP server of its own on the segment (dnsmasq, DHCP only, another range)
    const routerIp = nthHost(subnet, 40);
    const prefix = subnet.split('/')[1];
    const [first, last] = [nthHost(subnet, 20), nthHost(subnet, 30)];
    await shOn(node1, `dhclient -x -pf /run/dhclient.lw.pid ${node1If} 2>&1 || true`);
    await shOn(node1, `ip addr flush dev ${node1If} && ip addr add ${routerIp}/${prefix} dev ${node1If}`);
    await shOn(
      node1,
      `dnsmasq --port=0 --interface=${node1If} --bind-interfaces --dhcp-range=${first},${last},12h --dhcp-leasefile=/tmp/router.leases --pid-file=/run/router-dnsmasq.pid --log-facility=/tmp/router-dnsmasq.log`,
    );
    try {
      // node2 becomes a machine our dnsmasq never saw, and takes its lease from the router (it rejects our offers)
      await shOn(node2, `dhclient -x -pf /run/dhclient.lw.pid ${node2If} 2>&1 || true`);
      await shOn(node2, `ip addr flush dev ${node2If} && ip link set dev ${node2If} down && ip link set dev ${node2If} address 02:1a:b0:00:00:77 && ip link set dev ${node2If} up`);
      await shOn(node2, `printf 'reject ${serverIp};\\n' > /etc/dhcp/lw-router-only.conf`);
      const lease = '-pf /run/dhclient.router.pid -lf /var/lib/dhcp/dhclient.router.leases';
      await shOn(node2, `timeout 60 dhclient -v -1 -cf /etc/dhcp/lw-router-only.conf ${lease} ${node2If} 2>&1`);
      const held = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(await shOn(node2, `ip -4 -o addr show dev ${node2If}`))?.[1];
      expect(held && v4ToNumber(held) >= v4ToNumber(first) && v4ToNumber(held) <= v4ToNumber(last), `lease from the router: ${held}`).toBe(true);

      // node2 reboots: its client asks for the lease it holds (INIT-REBOOT, broadcast: both servers hear it)
      await shOn(node2, `dhclient -x ${lease} ${node2If} 2>&1 || true; ip addr flush dev ${node2If}`);
      const reboot = await shOn(node2, `timeout 60 dhclient -v -1 ${lease} ${node2If} 2>&1`);
      expect(reboot).toContain(`DHCPREQUEST for ${held} on ${node2If}`);
      expect(reboot).toContain(`DHCPACK of ${held} from ${routerIp}`);
      expect(reboot).not.toContain('DHCPNAK');
      expect(await shOn(node2, `ip -4 -o addr show dev ${node2If}`)).toContain(`inet ${held}/`);
      // our dnsmasq heard the request and stayed silent (an authoritative one answers "DHCPNAK ... lease not found")
      expect(await journal()).not.toContain(`DHCPNAK(eth1) ${held} `);
      expect(await shOn(dns1, 'cat /etc/dnsmasq.d/labwright.conf')).not.toContain('dhcp-authoritative');
    } finally {
      await shOn(node2, `dhclient -x -pf /run/dhclient.router.pid ${node2If} 2>&1 || true`);
      await shOn(node1, 'kill "$(cat /run/router-dnsmasq.pid)" 2>/dev/null || true');
    }
  });

  it('reservations are checked by dnsmasq\'s own parser before they go live', async () => {
    // `dnsmasq --test` never reads a dhcp-hostsfile: the role checks the lines as dhcp-host= options
    const check = (lines: string) => shResult(dns1, `printf '%s\\n' '# comment' ${lines} > /tmp/res && ${checkReservations('/tmp/res').text}; echo "rc=$?"; ls /tmp`);
    const good = await check(`'${NODE1_MAC},${reserved},node1'`);
    expect(good.output).toContain('rc=0');
    const bad = await check(`'${NODE1_MAC},${reserved},node1' 'zz:00:00:00:00:01,${nthHost(subnet, 60)},bad'`);
    expect(bad.output).toContain('bad hex constant');
    expect(bad.output).toMatch(/rc=[1-9]/);
    expect(bad.output).toContain('bad hex constant at line 2 of /tmp/res.check');
    expect(bad.output.split('\n')).not.toContain('res.check'); // the throw-away config is gone (ls /tmp)
  });
});

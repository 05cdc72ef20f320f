import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { cidrsOverlap } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { macLab } from './index.js';
import { macLabMain } from './main.js';
import { macLabSchema } from './vars.js';
import { captureIo } from '../../test/support/io.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * The dance's ORDERING for real, on a Linux lab host: the same role and dance
 * code with the Linux platform (a systemd unit creates the bridge br-lab with
 * the gateway — socket_vmnet's part —, Debian's dnsmasq plays Homebrew's).
 * A DHCP client in a network namespace on a veth port of br-lab is the VM.
 * Every packet stays inside the one container: the bridge, its subnet and the
 * client are the test's own.
 */
const LAB = `mac-lab-${process.pid}`;
const SUBNET = '10.213.77.0/24';
const MOVED = '10.213.78.0/24';
const VARS = { platform: 'linux', subnet: SUBNET, bridge_wait_seconds: 10, dnsmasq_wait_seconds: 10, poll_interval_ms: 250 };
const plan = macLabSchema.parse(VARS).plan;
const control0 = plan.vms.find((v) => v.name === 'control0')!;

let lab: Lab;
let mac: LabHost;

async function apply(params: Record<string, unknown> = {}, flags: string[] = []) {
  const io = captureIo();
  const code = await main([play({ name: 'mac lab network', hosts: 'vm_hosts', roles: [macLab.with(params)] })], ['-i', lab.inventoryPath, ...flags], io);
  return { code, out: io.text() };
}

/** /etc (files, checksums), the units, the bridge: what --check must leave alone. */
const stateOf = () =>
  shOn(
    mac,
    "find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; systemctl is-active dnsmasq labwright-lab-bridge.service || true; ip -br link show type bridge; ls /var/lib/labwright 2>&1 || true",
  );
/** The user's dnsmasq configuration: every file (content, mode, owner) of /etc/dnsmasq.conf and /etc/dnsmasq.d. */
const userConfig = () => shOn(mac, "find /etc/dnsmasq.conf /etc/dnsmasq.d -type f -printf '%p %m %u:%g ' -exec sha256sum {} \\; | sort");
const mainPid = async () => (await shOn(mac, 'systemctl show -p MainPID --value dnsmasq')).trim();
const bridgeIndex = async () => (JSON.parse(await shOn(mac, 'ip -j link show br-lab')) as { ifindex: number }[])[0]!.ifindex;

/** The VM: a veth port of br-lab whose other end, in netns vm0, carries `mac`; attach again after the bridge was recreated. */
async function plugVm(mac_: string): Promise<void> {
  await shOn(
    mac,
    `ip netns list | grep -qw vm0 || { ip netns add vm0 && ip link add vm0 type veth peer name vm0-br && ip link set vm0 netns vm0 && ip netns exec vm0 ip link set lo up; }
     ip netns exec vm0 ip link set vm0 down && ip netns exec vm0 ip link set vm0 address ${mac_} && ip netns exec vm0 ip addr flush dev vm0 && ip netns exec vm0 ip link set vm0 up
     ip link set vm0-br master br-lab && ip link set vm0-br up`,
  );
}

/** One DHCP exchange from the VM (fresh lease file, no configuration of the interface); the address it was bound to, or null. */
async function dhcp(seconds = 25): Promise<string | null> {
  const { output } = await mac.exec([
    'sh',
    '-c',
    `rm -f /run/vm0.leases; timeout ${seconds} ip netns exec vm0 dhclient -v -1 -sf /bin/true -pf /run/vm0.pid -lf /run/vm0.leases vm0 2>&1; ip netns exec vm0 dhclient -x -pf /run/vm0.pid >/dev/null 2>&1; true`,
  ]);
  return /bound to (\d+\.\d+\.\d+\.\d+)/.exec(output)?.[1] ?? null;
}

describe('mac-lab dance on a Linux lab host (systemd bridge unit + Debian dnsmasq)', () => {
  let pristine: string;

  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'mac', groups: ['vm_hosts'], vars: { mac_lab: VARS } }] });
    mac = lab.host('mac');
    if (cidrsOverlap(lab.network.subnet, SUBNET) || cidrsOverlap(lab.network.subnet, MOVED)) throw new Error(`the lab network ${lab.network.subnet} overlaps the test's bridge subnets`);
    // the user's own dnsmasq config, with a setting of theirs and no newline at its end: what `down` must leave byte for byte
    await shOn(mac, "printf '\\n# set by the user\\nlog-queries' >> /etc/dnsmasq.conf");
    pristine = await userConfig();
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('--check changes nothing and reports each step of the dance as what it would do', async () => {
    const before = await stateOf();
    const { code, out } = await apply({}, ['--check', '--diff']);
    expect(code, out).toBe(0);
    expect(await stateOf()).toBe(before);
    expect(out).toContain(`ok: [mac] no interface holds ${plan.gateway} yet; labwright-lab-bridge.service is not loaded; dnsmasq is not loaded`);
    expect(out).toContain('- load labwright-lab-bridge.service: systemctl daemon-reload && systemctl enable --now labwright-lab-bridge.service');
    expect(out).toContain(`- wait up to 10 s (40 checks) for br-lab to hold ${plan.gateway}: labwright-lab-bridge.service creates it`);
    expect(out).toContain(`+ExecStart=/sbin/ip addr add ${plan.gateway}/24 dev br-lab`);
    expect(out).toContain('- no vmnet DHCP server on Linux: dnsmasq is the only one on the bridge');
    expect(out).toContain('+interface=br-lab');
    expect(out).toContain(`+${control0.mac},${control0.ip},control0`);
    expect(out).toContain('RUNNING HANDLER [mac-lab : restart dnsmasq]');
    expect(out).toContain(`- then wait up to 10 s until dnsmasq holds ${plan.gateway}:53 and UDP 67`);
  });

  it('dnsmasq with bind-interfaces + interface=br-lab before the bridge exists fails to start, and the role says why', async () => {
    // only the dnsmasq files (and the handler): the bridge unit is not there
    const { code, out } = await apply({}, ['--tags', 'mac-lab:dnsmasq']);
    expect(code, out).toBe(2);
    expect(out).toContain(`dnsmasq does not serve ${plan.gateway} (missing: ${plan.gateway}:53, UDP 67) after "systemctl enable --quiet dnsmasq && systemctl restart dnsmasq" (which failed:`);
    expect(out).toContain(`no interface holds ${plan.gateway}: the bridge is gone (labwright-lab-bridge.service stopped?)`);
    expect(out).toContain('dnsmasq: unknown interface br-lab');
    // and by hand, the same: the unit cannot start
    const { exitCode } = await mac.exec(['systemctl', 'restart', 'dnsmasq']);
    expect(exitCode).not.toBe(0);
    expect(await shOn(mac, 'systemctl is-active dnsmasq || true')).toMatch(/failed|inactive/);
    expect(await shOn(mac, 'journalctl -u dnsmasq -o cat --no-pager')).toContain('unknown interface br-lab');
  });

  it('the dance: bridge unit up, bounded wait for the gateway, dnsmasq restarted after it; the VM gets its reservation', async () => {
    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect(out).toContain('- load labwright-lab-bridge.service');
    expect(out).toMatch(/ok: \[mac\] br-lab holds 10\.213\.77\.1 \(ifindex \d+\)/); // the wait found it at once (Type=oneshot)
    expect(out).toMatch(/- dnsmasq has not been started for br-lab \(ifindex \d+\) yet/);
    expect(out).toContain('RUNNING HANDLER [mac-lab : restart dnsmasq]');
    expect(out).toMatch(/ok: \[mac\] dnsmasq holds 10\.213\.77\.1:53 and UDP 67 on br-lab/);
    // dnsmasq bound to the bridge, never the wildcard DNS socket
    const sockets = await shOn(mac, "ss -Hlun '( sport = :53 or sport = :67 )' | awk '{print $4}'");
    expect(sockets).toContain(`${plan.gateway}:53`);
    expect(sockets).toContain('%br-lab:67');
    expect(sockets).not.toMatch(/^(0\.0\.0\.0|\*):53$/m);

    await plugVm(control0.mac);
    expect(await dhcp()).toBe(control0.ip);
    // DNS on the gateway answers the VMs' names and the VIP's
    expect((await shOn(mac, `ip netns exec vm0 ip addr add ${control0.ip}/24 dev vm0 && ip netns exec vm0 dig +short +time=3 @${plan.gateway} worker2.home.arpa api.home.arpa; ip netns exec vm0 ip addr flush dev vm0`)).trim().split('\n')).toEqual([
      plan.vms.find((v) => v.name === 'worker2')!.ip,
      plan.vip,
    ]);
  });

  it('a second apply changes nothing and restarts nothing', async () => {
    const pid = await mainPid();
    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect(out).toMatch(/mac\s+: ok=\d+\s+changed=0/);
    expect(out).not.toContain('RUNNING HANDLER');
    expect(await mainPid()).toBe(pid);
  });

  it('the bridge recreated behind the role: the identity step notices the new ifindex, the handler restarts dnsmasq, the VM is served', async () => {
    const pid = await mainPid();
    const index = await bridgeIndex();
    await shOn(mac, 'systemctl restart labwright-lab-bridge.service'); // ExecStop deletes br-lab, ExecStart makes a new one
    const newIndex = await bridgeIndex();
    expect(newIndex).not.toBe(index);
    await plugVm(control0.mac);
    // What Linux's dnsmasq does meanwhile (observed, not required): its netlink listener follows the new
    // interface, so it still answers. The Mac's dnsmasq has no netlink; the restart is for it.
    const meanwhile = await dhcp();

    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect(out).toContain(`- the bridge changed since dnsmasq was started (br-lab ifindex ${index} → br-lab ifindex ${newIndex}): dnsmasq must bind the new one`);
    expect(out).toContain('RUNNING HANDLER [mac-lab : restart dnsmasq]');
    expect(await mainPid()).not.toBe(pid);
    expect(await dhcp()).toBe(control0.ip);
    expect(meanwhile).toBe(control0.ip); // recorded above: dnsmasq 2.89 on Linux kept serving across the recreation
  });

  it("a fragment dnsmasq --test refuses (with the user's dnsmasq.conf) never goes live; dnsmasq keeps running", async () => {
    const fragment = await shOn(mac, 'sha256sum /etc/dnsmasq.d/labwright-mac-lab.conf');
    const pid = await mainPid();
    const { code, out } = await apply({ extra_options: ['dhcp-range=not-an-address'] });
    expect(code, out).toBe(2);
    expect(out).toMatch(/bad dhcp-range at line \d+ of \/etc\/dnsmasq\.d\/\.labwright-mac-lab\.conf\.lwtmp\./);
    expect(out).not.toContain('RUNNING HANDLER');
    expect(await shOn(mac, 'sha256sum /etc/dnsmasq.d/labwright-mac-lab.conf')).toBe(fragment);
    expect(await shOn(mac, 'ls -a /etc/dnsmasq.d')).not.toContain('lwtmp');
    expect(await mainPid()).toBe(pid);
  });

  it('one variable: a new subnet moves the bridge, dnsmasq and the reservation; the unit is reloaded through the dance', async () => {
    const moved = macLabSchema.parse({ ...VARS, subnet: MOVED }).plan;
    const { code, out } = await apply({ subnet: MOVED });
    expect(code, out).toBe(0);
    expect(out).toContain('- labwright-lab-bridge.service was loaded from an older definition: systemctl disable --now labwright-lab-bridge.service');
    expect(out).toMatch(/ok: \[mac\] dnsmasq holds 10\.213\.78\.1:53 and UDP 67 on br-lab/);
    expect(await shOn(mac, 'ip -4 -br addr show br-lab')).toContain(`${moved.gateway}/24`);
    expect(await shOn(mac, 'ip -4 -br addr show br-lab')).not.toContain(plan.gateway);
    await plugVm(control0.mac);
    expect(await dhcp()).toBe(moved.vms.find((v) => v.name === 'control0')!.ip);
    // back to the inventory's subnet for the last test
    const back = await apply();
    expect(back.code, back.out).toBe(0);
  });

  it('down (playbook --down): bridge and unit gone, fragment and data gone, the user\'s dnsmasq config byte for byte as before', async () => {
    const io = captureIo();
    const code = await macLabMain(['-i', lab.inventoryPath, '--down'], io);
    expect(code, io.text()).toBe(0);
    expect(io.text()).toContain('- unload labwright-lab-bridge.service: systemctl disable --now labwright-lab-bridge.service');
    expect(await shOn(mac, 'ip -br link show type bridge')).not.toContain('br-lab');
    expect(await shOn(mac, 'ls /etc/systemd/system /var/lib/labwright/mac-lab 2>&1 || true')).not.toMatch(/labwright-lab-bridge|vmnet-definition|^bridge$/m);
    expect(await shOn(mac, 'ls /etc | grep -c labwright-mac-lab || true')).toBe('0\n');
    expect(await userConfig()).toBe(pristine);
    // down twice: nothing left to do
    const again = captureIo();
    expect(await macLabMain(['-i', lab.inventoryPath, '--down'], again), again.text()).toBe(0);
    expect(again.text()).toMatch(/mac\s+: ok=\d+\s+changed=0/);
  });
});

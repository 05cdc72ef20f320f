import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { interfaceWith, routeVia, writableNetSysctls } from '../../test/lab/networks.js';
import { captureIo } from '../../test/support/io.js';
import { sshAnswers } from '../../test/support/lab-ssh.js';
import { shOn } from '../../test/support/lab-shell.js';
import { FORWARDING_SYSCTL_FILE, firewall } from './index.js';

/**
 * The firewall as a router, with real packets: a client on segment a, the
 * gateway on a and b (it gets the role), a backend on b. The client routes b
 * through the gateway and the backend routes a through it, so without NAT the
 * backend sees the client's own address. Listeners on the backend answer with
 * the address they see the connection come from (socat's SOCAT_PEERADDR).
 * Every packet stays between the test's own containers.
 */
const LAB = `fwr-${process.pid}`;
let lab: Lab;
let client: LabHost;
let gw: LabHost;
let backend: LabHost;
let segments: Record<string, { interfaces: string[]; networks: string[] }>;

async function apply(flags: string[], firewallVars: Record<string, unknown>) {
  const io = captureIo();
  const plays = [play({ name: 'router', hosts: 'gw', roles: [firewall.with({ rollback_after_sec: 30 })] })];
  const code = await main(plays, ['-i', lab.inventoryPath, '--diff', '-e', JSON.stringify({ firewall: firewallVars }), ...flags], io);
  return { code, out: io.stdout + io.stderr };
}

/**
 * What a backend listener answers `from` on ip:port ("port PEER"), or null when no connection is made within 3 s
 * (a dropped SYN). The answer may take long on a loaded machine (the listener forks a shell): up to 20 s.
 */
async function ask(from: LabHost, ip: string, port: number): Promise<string | null> {
  const { output, exitCode } = await from.exec(['sh', '-c', `timeout 25 socat -T 20 STDIO TCP:${ip}:${port},connect-timeout=3 </dev/null`]);
  return exitCode === 0 && output.trim() ? output.trim() : null;
}

const forwarding = () => shOn(gw, 'cat /proc/sys/net/ipv4/ip_forward').then((s) => s.trim());
const ruleset = () => shOn(gw, 'nft list ruleset 2>/dev/null');

const a = () => client.addresses!.a!;
const gwA = () => gw.addresses!.a!;
const gwB = () => gw.addresses!.b!;
const b = () => backend.addresses!.b!;

describe('firewall routing on lab hosts (client on a, gateway on a and b, backend on b)', () => {
  beforeAll(async () => {
    lab = await startLab({
      name: LAB,
      segments: { a: {}, b: {} },
      hosts: [
        { name: 'client', groups: ['clients'], segments: ['a'] },
        { name: 'gw', groups: ['routers'], segments: ['a', 'b'] },
        { name: 'backend', groups: ['backends'], segments: ['b'] },
      ],
    });
    [client, gw, backend] = ['client', 'gw', 'backend'].map((n) => lab.host(n));
    // the gateway does not forward until the role says so
    await writableNetSysctls(gw);
    await shOn(gw, 'sysctl -w net.ipv4.ip_forward=0');
    await routeVia(client, lab.segments.b!.subnet, gwA());
    await routeVia(backend, lab.segments.a!.subnet, gwB());
    for (const port of [8080, 9090, 30443]) {
      await shOn(backend, `systemd-run --unit=lw-peer-${port} socat TCP-LISTEN:${port},fork,reuseaddr SYSTEM:'echo ${port} \\$SOCAT_PEERADDR'`);
    }
    await shOn(client, `systemd-run --unit=lw-peer-7070 socat TCP-LISTEN:7070,fork,reuseaddr SYSTEM:'echo 7070 \\$SOCAT_PEERADDR'`);
    segments = {
      a: { interfaces: [await interfaceWith(gw, gwA())], networks: [lab.segments.a!.subnet] },
      b: { interfaces: [await interfaceWith(gw, gwB())], networks: [lab.segments.b!.subnet] },
    };
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const phase1 = () => ({
    segments,
    forward_rules: [{ from: 'a', to: 'b', proto: 'tcp', ports: [8080], comment: 'a may reach b on 8080' }],
    port_forwards: [{ port: 8443, to: b(), to_port: 30443, from: 'a', comment: 'gateway 8443 to the backend' }],
  });

  it('before: the listeners answer from the gateway itself, but nothing crosses it (it does not forward)', async () => {
    expect(await forwarding()).toBe('0');
    expect(await ask(gw, b(), 9090)).toBe(`9090 ${gwB()}`);
    expect(await ask(client, b(), 8080)).toBeNull();
    expect(await ask(client, b(), 9090)).toBeNull();
  });

  it('--check shows the forward and nat chains and the sysctl, and changes nothing', async () => {
    const before = await ruleset();
    const { code, out } = await apply(['--check'], phase1());
    expect(code, out).toBe(0);
    expect(out).toContain('+\tchain forward {');
    expect(out).toContain('+\t\ttype filter hook forward priority filter; policy drop;');
    expect(out).toContain(`dnat ip to ${b()}:30443`);
    expect(out).toContain('sysctl net.ipv4.ip_forward: 0 → 1');
    expect(await ruleset()).toBe(before);
    expect(await forwarding()).toBe('0');
  });

  it('apply: forwarding on; a reaches b only on the allowed port, b cannot open connections to a, the DNAT port reaches the backend; without NAT the backend sees the client', async () => {
    const { code, out } = await apply([], phase1());
    expect(code, out).toBe(0);
    expect(await forwarding()).toBe('1');
    expect(await shOn(gw, `cat ${FORWARDING_SYSCTL_FILE}`)).toBe('net.ipv4.ip_forward = 1\n');

    expect(await ask(client, b(), 8080)).toBe(`8080 ${a()}`); // allowed, routed, source unchanged
    expect(await ask(client, b(), 9090)).toBeNull(); // not allowed: dropped by the forward policy
    expect(await ask(gw, b(), 9090)).toBe(`9090 ${gwB()}`); // ... while the listener is up
    expect(await ask(client, b(), 30443)).toBeNull(); // the DNAT target itself is not open to a
    expect(await ask(client, gwA(), 8443)).toBe(`30443 ${a()}`); // but through the port forward it is
    expect(await ask(backend, a(), 7070)).toBeNull(); // b to a: no rule
    expect(await ask(client, a(), 7070)).toBe(`7070 ${a()}`); // (the client's listener is up)
    expect(await sshAnswers(lab, gw)).toBe(true);
  });

  it('second apply: changed=0', async () => {
    const { code, out } = await apply([], phase1());
    expect(code, out).toBe(0);
    expect(out).toMatch(/gw\s+: ok=\d+\s+changed=0/);
  });

  it('masquerade a out through b: the backend sees the gateway\'s address on b, for routed and port-forwarded connections', async () => {
    const { code, out } = await apply([], { ...phase1(), masquerade: [{ from: 'a', out: 'b' }] });
    expect(code, out).toBe(0);
    expect(await ask(client, b(), 8080)).toBe(`8080 ${gwB()}`);
    expect(await ask(client, gwA(), 8443)).toBe(`30443 ${gwB()}`);
    expect(await ask(client, b(), 9090)).toBeNull();
    expect(await shOn(gw, 'nft list chain inet labwright postrouting')).toMatch(/oifname "eth1" ip daddr [\d./]+ masquerade/);
  });

  it('a routing change that locks the controller out is rolled back like any other: the previous forward and nat chains are live again', async () => {
    const withMasquerade = { ...phase1(), masquerade: [{ from: 'a', out: 'b' }] };
    const before = (await shOn(gw, 'nft list table inet labwright')).replace(/ # handle \d+/g, '');
    const { code, out } = await apply([], { ...withMasquerade, forward_rules: [], ssh_allowed: false });
    expect(code, out).toBe(2);
    expect(out).toMatch(/rolled back by labwright-rollback-\w+\.timer, the previous configuration is live again/);
    expect((await shOn(gw, 'nft list table inet labwright')).replace(/ # handle \d+/g, '')).toBe(before);
    expect(await ask(client, b(), 8080)).toBe(`8080 ${gwB()}`); // the forward rule and the masquerade of before
    expect(await sshAnswers(lab, gw)).toBe(true);
  }, 180_000);

  it('routing off again (no routed vars): the forward and nat chains are gone, the input chain stays', async () => {
    const { code, out } = await apply([], {});
    expect(code, out).toBe(0);
    const table = await shOn(gw, 'nft list table inet labwright');
    expect(table).toContain('chain input');
    expect(table).not.toContain('chain forward');
    expect(table).not.toContain('chain prerouting');
    // forwarding stays on (other software may need it) and, with no filter of ours, a reaches 9090 again
    expect(await ask(client, b(), 9090)).toBe(`9090 ${a()}`);
  });
});

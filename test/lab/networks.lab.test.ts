import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contains } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from './index.js';
import { interfaceWith, routeVia, writableNetSysctls } from './networks.js';

/**
 * Lab segments: a client on segment a, a router on a and b, a server on b.
 * Each host gets an address on each of its segments (in the order given:
 * eth0, eth1), the controller reaches all of them over SSH (startLab waits
 * for every sshd), and the client reaches the server only once it routes b
 * through the router and the router forwards: the segments are separate networks.
 */
const NAME = `seg-${process.pid}`;
let lab: Lab;
let client: LabHost;
let router: LabHost;
let server: LabHost;

const reaches = async (from: LabHost, ip: string) => (await from.exec(['nc', '-z', '-w', '2', ip, '22'])).exitCode === 0;

describe('lab segments (several Docker networks per lab)', () => {
  beforeAll(async () => {
    lab = await startLab({
      name: NAME,
      segments: { a: {}, b: {} },
      hosts: [
        { name: 'client', groups: ['clients'], segments: ['a'] },
        { name: 'router', groups: ['gateways'], segments: ['a', 'b'] },
        { name: 'server', groups: ['servers'], segments: ['b'] },
      ],
    });
    [client, router, server] = ['client', 'router', 'server'].map((n) => lab.host(n));
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('gives each host an address on each of its segments, in order (eth0, eth1), and the first is the one the controller uses', async () => {
    const { a, b } = lab.segments;
    expect(contains(a!.subnet, client.addresses!.a!)).toBe(true);
    expect(contains(a!.subnet, router.addresses!.a!)).toBe(true);
    expect(contains(b!.subnet, router.addresses!.b!)).toBe(true);
    expect(contains(b!.subnet, server.addresses!.b!)).toBe(true);
    expect(router.ip).toBe(router.addresses!.a);
    expect(server.ip).toBe(server.addresses!.b);
    expect(await interfaceWith(router, router.addresses!.a!)).toBe('eth0');
    expect(await interfaceWith(router, router.addresses!.b!)).toBe('eth1');
    expect(Object.keys(client.addresses!)).toEqual(['a']);
  });

  it('refuses a host on an undeclared segment, naming it', async () => {
    await expect(startLab({ name: `${NAME}-bad`, segments: { a: {} }, hosts: [{ name: 'x', groups: [], segments: ['a', 'c'] }] })).rejects.toThrow(
      'Host "x" is on undeclared segment(s) c (the lab declares: a)',
    );
  });

  it('segments are separate: the client reaches the server only through the router', async () => {
    expect(await reaches(client, server.ip)).toBe(false);
    await writableNetSysctls(router);
    expect((await router.exec(['sysctl', '-w', 'net.ipv4.ip_forward=0'])).exitCode).toBe(0);
    await routeVia(client, lab.segments.b!.subnet, router.addresses!.a!);
    await routeVia(server, lab.segments.a!.subnet, router.addresses!.b!);
    expect(await reaches(client, server.ip)).toBe(false); // routed, but the router does not forward
    expect((await router.exec(['sysctl', '-w', 'net.ipv4.ip_forward=1'])).exitCode).toBe(0);
    expect(await reaches(client, server.ip)).toBe(true);
    expect((await router.exec(['sysctl', '-w', 'kernel.hostname=x'])).exitCode).not.toBe(0); // only the namespace's net keys are writable
  });
});

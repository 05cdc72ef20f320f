import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { nthHost, v4ToNumber } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { captureIo } from '../../test/support/io.js';
import { shOn } from '../../test/support/lab-shell.js';
import { dnsmasq } from './index.js';
import { addressOn, createSegment, lease, stopLease, type Segment } from './lab-support.js';

/**
 * One dnsmasq serving two segments: two Docker networks of the test's own
 * (the main segment A, tag `lan`, and tenant1 on B with its subzone
 * tenant1.lab), the server on both, a client on each. Each client leases from
 * its own segment's range with its segment's options; PXE hands the boot file
 * of the client's architecture (option 93) and serves it over TFTP.
 */
const LAB = `dnsmasq-seg-${process.pid}`;
const BOOT = { bios: 'pxelinux.0', efi_x86_64: 'efi64/grubx64.efi' };
/** dhclient sends option 93 (client-arch) as PXE firmware does. */
const sendArch = (code: number) => `option lw-client-arch code 93 = unsigned integer 16;\nsend lw-client-arch ${code};`;

let lab: Lab;
let segA: Segment;
let segB: Segment;
let dns1: LabHost;
let a1: LabHost;
let b1: LabHost;
let server: { a: string; b: string };
let iface: { a1: string; b1: string };

function apply(flags: string[] = []) {
  const io = captureIo();
  const role = dnsmasq.with({
    router: server.a,
    log_dhcp: true,
    segments: { tenant1: { subnet: segB.subnet, router: server.b, domain: 'tenant1.lab', reservations: [{ mac: '02:1a:b0:00:01:05', ip: nthHost(segB.subnet, 5), name: 'web' }] } },
    pxe: { boot: BOOT },
  });
  return main([play({ name: 'dhcp', hosts: 'dhcp_servers', roles: [role] })], ['-i', lab.inventoryPath, ...flags], io).then((code) => ({ code, out: io.stdout + io.stderr }));
}

const inRange = (ip: string, subnet: string) => v4ToNumber(ip) >= v4ToNumber(nthHost(subnet, 100)) && v4ToNumber(ip) <= v4ToNumber(nthHost(subnet, 199));
const dig = (host: LabHost, at: string, name: string) => shOn(host, `dig +short +time=3 @${at} ${name}`).then((s) => s.trim());

describe('dnsmasq on two segments, with PXE, on lab hosts', () => {
  beforeAll(async () => {
    segA = await createSegment(LAB, 'a');
    try {
      segB = await createSegment(LAB, 'b');
      lab = await startLab({
        name: LAB,
        hosts: [
          { name: 'dns1', groups: ['dhcp_servers'], vars: { lan: { subnet: segA.subnet, domain: 'lab.example' } } },
          { name: 'a1', groups: ['clients'] },
          { name: 'b1', groups: ['clients'] },
        ],
      });
    } catch (e) {
      await segB?.remove();
      await segA.remove();
      throw e;
    }
    [dns1, a1, b1] = [lab.host('dns1'), lab.host('a1'), lab.host('b1')];
    for (const h of [dns1, a1]) await segA.connect(h);
    for (const h of [dns1, b1]) await segB.connect(h);
    server = { a: (await addressOn(dns1, segA.subnet)).ip, b: (await addressOn(dns1, segB.subnet)).ip };
    iface = { a1: (await addressOn(a1, segA.subnet)).ifname, b1: (await addressOn(b1, segB.subnet)).ifname };
    // the clients give up Docker's static address on their segment: DHCP gives them one
    await shOn(a1, `ip addr flush dev ${iface.a1}`);
    await shOn(b1, `ip addr flush dev ${iface.b1}`);
  });

  afterAll(async () => {
    await lab?.stop();
    await segB?.remove();
    await segA?.remove();
  });

  it('applies: one dnsmasq bound to both segments, its config accepted by dnsmasq --test, the TFTP root made', async () => {
    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect((await shOn(dns1, 'systemctl is-active dnsmasq')).trim()).toBe('active');
    const conf = (await shOn(dns1, 'cat /etc/dnsmasq.d/labwright.conf')).split('\n');
    const [ifA, ifB] = [(await addressOn(dns1, segA.subnet)).ifname, (await addressOn(dns1, segB.subnet)).ifname];
    expect(conf).toEqual(expect.arrayContaining([`interface=${ifA}`, `interface=${ifB}`, 'enable-tftp', 'tftp-root=/srv/tftp']));
    // dnsmasq listens for DNS on each segment's address, never on the wildcard
    const sockets = await shOn(dns1, "ss -Hlnu 'sport = :53' | awk '{print $4}'");
    expect(sockets.split('\n')).toEqual(expect.arrayContaining([`${server.a}:53`, `${server.b}:53`]));
    expect(sockets).not.toMatch(/^(0\.0\.0\.0|\*|\[::\]):/m);
    expect((await shOn(dns1, 'stat -c %U:%a /srv/tftp')).trim()).toBe('root:755');
    // the boot files are the user's to put there
    await shOn(dns1, `mkdir -p /srv/tftp/efi64 && echo 'uefi x86-64 loader' > /srv/tftp/${BOOT.efi_x86_64} && echo 'bios loader' > /srv/tftp/${BOOT.bios} && chmod -R a+rX /srv/tftp`);
  });

  it('each client leases from its own segment with its options; the boot file follows the client architecture', async () => {
    // a1 on A as a BIOS PXE client (arch 0)
    const a = await lease(a1, iface.a1, 'bios', sendArch(0));
    expect(inRange(a.ip, segA.subnet), `${a.ip} in .100-.199 of ${segA.subnet}`).toBe(true);
    expect(a.lease).toContain(`option routers ${server.a};`);
    expect(a.lease).toContain('option domain-name "lab.example";');
    expect(a.lease).toContain(`filename "${BOOT.bios}";`);

    // b1 on B (tenant1) as an x86-64 UEFI client (arch 7): B's range, router and subzone
    const b = await lease(b1, iface.b1, 'efi', sendArch(7));
    expect(inRange(b.ip, segB.subnet), `${b.ip} in .100-.199 of ${segB.subnet}`).toBe(true);
    expect(b.lease).toContain(`option routers ${server.b};`);
    expect(b.lease).toContain('option domain-name "tenant1.lab";');
    expect(b.lease).toContain(`filename "${BOOT.efi_x86_64}";`);

    // the file is served by dnsmasq's TFTP on the client's own segment
    expect((await shOn(b1, `curl -sS --max-time 10 tftp://${server.b}/${BOOT.efi_x86_64}`)).trim()).toBe('uefi x86-64 loader');
    // dnsmasq's own log (log-dhcp) tells which tags the exchange matched
    const journal = await shOn(dns1, 'journalctl -u dnsmasq -o cat --no-pager');
    expect(journal).toMatch(/tags: [^\n]*efi-x86_64/);
    expect(journal).toMatch(/tags: [^\n]*tenant1/);

    // DNS: each client's DHCP name in its segment's zone; the reserved web in the subzone; tenant1 names not in the main zone
    expect(await dig(a1, server.a, 'a1.lab.example')).toBe(a.ip);
    expect(await dig(b1, server.b, 'b1.tenant1.lab')).toBe(b.ip);
    expect(await dig(b1, server.b, 'web.tenant1.lab')).toBe(nthHost(segB.subnet, 5));
    expect(await shOn(b1, `dig +time=3 @${server.b} b1.lab.example`)).toContain('status: NXDOMAIN');
    await stopLease(b1, iface.b1, 'efi');
  });

  it('a client that is not PXE (no option 93) gets an address and no boot file', async () => {
    await stopLease(a1, iface.a1, 'bios');
    const plain = await lease(a1, iface.a1, 'plain');
    expect(inRange(plain.ip, segA.subnet)).toBe(true);
    expect(plain.lease).not.toContain('filename');
    await stopLease(a1, iface.a1, 'plain');
  });

  it('a second apply changes nothing', async () => {
    const again = await apply();
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/dns1\s+: ok=\d+\s+changed=0/);
  });
});

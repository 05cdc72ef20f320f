import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { contains, parseCidr } from '../../src/net/address.js';
import { isIpv4 } from '../../src/net/host-address.js';
import { LAB_LABEL } from '../../test/lab/docker.js';
import type { LabHost } from '../../test/lab/index.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * Lab helpers of the role's DHCP tests: a DHCP segment of the test's own and a
 * DHCP client in a container.
 *
 * Why not `docker network create --internal`: with br_netfilter on the host,
 * Docker's isolation rule for internal networks (`-i br ! -d SUBNET -j DROP`)
 * drops a DHCPDISCOVER (0.0.0.0 → 255.255.255.255) between two containers. A
 * plain bridge network without IP masquerading keeps DHCP working; the tests'
 * router options point at the dnsmasq server itself, so nothing leaves it.
 */
const run = promisify(execFile);

export interface Segment {
  /** The Docker network's name. */
  name: string;
  subnet: string;
  /** Attaches a container to the segment. */
  connect(host: LabHost): Promise<void>;
  remove(): Promise<void>;
}

/** A Docker bridge network labelled like a lab of its own (`npm run lab:down` finds it if the test process dies). */
export async function createSegment(lab: string, tag: string): Promise<Segment> {
  const name = `labwright-${lab}-${tag}-${randomBytes(3).toString('hex')}`;
  await run('docker', ['network', 'create', '--label', `${LAB_LABEL}=${lab}-${tag}`, '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', name]);
  const inspect = JSON.parse((await run('docker', ['network', 'inspect', name])).stdout) as { IPAM: { Config: { Subnet: string }[] } }[];
  return {
    name,
    subnet: parseCidr(inspect[0]!.IPAM.Config[0]!.Subnet).text,
    connect: async (host) => void (await run('docker', ['network', 'connect', name, host.containerId])),
    remove: async () =>
      void (await run('docker', ['network', 'rm', name]).catch((e: { stderr?: string }) => {
        if (!e.stderr?.includes('not found')) throw e;
      })),
  };
}

/** The host's interface and address on `subnet` (from `ip -j addr`). */
export async function addressOn(host: LabHost, subnet: string): Promise<{ ifname: string; ip: string }> {
  const links = JSON.parse(await shOn(host, 'ip -j addr show')) as { ifname: string; addr_info: { local: string }[] }[];
  for (const link of links) {
    const hit = link.addr_info.find((a) => isIpv4(a.local) && contains(subnet, a.local));
    if (hit) return { ifname: link.ifname, ip: hit.local };
  }
  throw new Error(`${host.name} has no address on ${subnet}`);
}

/**
 * Runs dhclient once on `iface` (its own config, pid and lease files, named
 * by `name`; `conf` appended to Debian's dhclient.conf, e.g. an option to
 * send) and returns the address it got and the lease file's text.
 */
export async function lease(host: LabHost, iface: string, name: string, conf = ''): Promise<{ ip: string; lease: string }> {
  const [cf, pf, lf] = [`/etc/dhcp/lw-${name}.conf`, `/run/dhclient.lw-${name}.pid`, `/var/lib/dhcp/dhclient.lw-${name}.leases`];
  await shOn(host, `cp /etc/dhcp/dhclient.conf ${cf} && printf '%s\\n' '${conf}' >> ${cf}`);
  await shOn(host, `timeout 60 dhclient -v -1 -cf ${cf} -pf ${pf} -lf ${lf} ${iface} 2>&1`);
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(await shOn(host, `ip -4 -o addr show dev ${iface}`));
  if (!m) throw new Error(`${host.name}: no address on ${iface} after dhclient`);
  return { ip: m[1]!, lease: await shOn(host, `cat ${lf}`) };
}

/** Stops the client of `lease(host, iface, name)` (no DHCPRELEASE) and gives its address up. */
export async function stopLease(host: LabHost, iface: string, name: string): Promise<void> {
  await shOn(host, `dhclient -x -pf /run/dhclient.lw-${name}.pid ${iface} 2>&1 || true; ip addr flush dev ${iface}`);
}

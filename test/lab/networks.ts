import { connectToNetwork, createNetwork, type LabNetwork } from './containers.js';

/**
 * Several lab segments: extra Docker bridge networks of a lab (named
 * `labwright-LAB-SEGMENT`), for routers, NAT gateways and multi-segment DHCP.
 * A host on segments is on those networks only (not on the lab network): the
 * first is where the controller reaches it (Docker's bridge address on each
 * segment is the controller's), the others are attached in order, so inside
 * the container they are eth0, eth1, … in the order given.
 */

/** What a test declares: segment names, each with a fixed subnet and gateway or `{}` (Docker picks). */
export type SegmentSpecs = Record<string, { subnet?: string; gateway?: string }>;

const SEGMENT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Refuses segment names Docker or the lab cannot use, a host on an undeclared segment, and `segments` mixed with `network`. */
export function validateSegments(specs: SegmentSpecs, hosts: { name: string; segments?: string[]; network?: string }[]): void {
  for (const name of Object.keys(specs)) {
    if (!SEGMENT_NAME.test(name)) throw new Error(`Lab segment names are lowercase letters, digits and '-': got "${name}"`);
    if (name === 'internal') throw new Error('Lab segment name "internal" is taken by the internal network');
    const { subnet, gateway } = specs[name]!;
    if ((subnet === undefined) !== (gateway === undefined)) throw new Error(`Lab segment "${name}": give both subnet and gateway, or neither`);
  }
  for (const host of hosts) {
    if (!host.segments) continue;
    if (host.network !== undefined) throw new Error(`Host "${host.name}": give either network or segments, not both`);
    if (host.segments.length === 0) throw new Error(`Host "${host.name}": segments is empty (omit it to put the host on the lab network)`);
    const unknown = host.segments.filter((s) => !(s in specs));
    if (unknown.length) throw new Error(`Host "${host.name}" is on undeclared segment(s) ${unknown.join(', ')} (the lab declares: ${Object.keys(specs).join(', ') || 'none'})`);
    if (new Set(host.segments).size !== host.segments.length) throw new Error(`Host "${host.name}" lists a segment twice: ${host.segments.join(', ')}`);
  }
}

/**
 * Creates the lab's segments (plain bridges: the controller reaches every host on them), without Docker's IP
 * masquerade: with br_netfilter, the machine's MASQUERADE rule for a segment's subnet would also rewrite the
 * source of traffic a lab router forwards from that segment onto another one (the backend would see the
 * machine's bridge address instead of the client's or the router's).
 */
export async function createSegments(lab: string, specs: SegmentSpecs): Promise<Record<string, LabNetwork>> {
  const out: Record<string, LabNetwork> = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = await createNetwork(lab, spec.subnet && spec.gateway ? { subnet: spec.subnet, gateway: spec.gateway } : undefined, { suffix: name, masquerade: false });
  }
  return out;
}

/** Attaches a started container (already on the first segment, at `primaryIp`) to the rest, in order; returns its address on each segment by segment name. */
export async function attachSegments(containerId: string, segments: [string, LabNetwork][], primaryIp: string): Promise<Record<string, string>> {
  const [[primary], ...rest] = segments as [[string, LabNetwork], ...[string, LabNetwork][]];
  const addresses: Record<string, string> = { [primary]: primaryIp };
  for (const [segment, network] of rest) addresses[segment] = await connectToNetwork(containerId, network.name);
  return addresses;
}

type Exec = { name: string; exec(cmd: string[]): Promise<{ output: string; exitCode: number }> };

/** The interface that carries `ip` inside a host (eth0, eth1, …). */
export async function interfaceWith(host: Exec, ip: string): Promise<string> {
  const { output, exitCode } = await host.exec(['ip', '-o', '-4', 'addr', 'show']);
  if (exitCode !== 0) throw new Error(`${host.name}: ip addr show failed: ${output}`);
  const line = output.split('\n').find((l) => l.includes(` inet ${ip}/`));
  const name = line?.split(/\s+/)[1]?.replace(/@.*$/, '');
  if (!name) throw new Error(`${host.name} has no interface with address ${ip}:\n${output}`);
  return name;
}

/** Routes `destination` (a CIDR) via `via` inside a host (`ip route replace`: idempotent). */
export async function routeVia(host: Exec, destination: string, via: string): Promise<void> {
  const { output, exitCode } = await host.exec(['ip', 'route', 'replace', destination, 'via', via]);
  if (exitCode !== 0) throw new Error(`${host.name}: cannot route ${destination} via ${via}: ${output}`);
}

/**
 * Makes the host's network sysctls writable (Docker mounts /proc/sys read-only):
 * /proc/sys/net alone is bind-mounted read-write. Those keys belong to the
 * container's own network namespace, so the host machine's stay untouched.
 */
export async function writableNetSysctls(host: Exec): Promise<void> {
  const script = 'mountpoint -q /proc/sys/net || mount --bind /proc/sys/net /proc/sys/net; mount -o remount,bind,rw /proc/sys/net';
  const { output, exitCode } = await host.exec(['sh', '-c', script]);
  if (exitCode !== 0) throw new Error(`${host.name}: cannot make /proc/sys/net writable: ${output}`);
}

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectToNetwork, createNetwork, refuseController, startHostContainer, type LabNetwork } from './containers.js';
import { findLabelled, LAB_LABEL, removeLabelled } from './docker.js';
import { ensureInotifyFor } from './host-limits.js';
import { ensureImage } from './image.js';
import { inventoryYaml } from './inventory.js';
import { attachSegments, createSegments, validateSegments, type SegmentSpecs } from './networks.js';
import { labWorkdir } from './paths.js';
import { generateKeyPair, knownHosts } from './ssh-keys.js';
import { LabHostNotReady, waitUntilReady } from './wait.js';

export { ensureImage };

export interface LabHostSpec {
  name: string;
  groups: string[];
  vars?: Record<string, unknown>;
  /** A fixed address (needs the lab's `subnet`). */
  ip?: string;
  /**
   * Which networks the host is on (default: the lab network). `internal`: only
   * the lab's internal network (`--internal`), which the controller cannot
   * reach; `both`: the lab network and the internal one (a gateway).
   */
  network?: 'lab' | 'internal' | 'both';
  /** Instead of `network`: the lab segments (LabOptions.segments) it is on, in order (eth0, eth1, …); the first is where the controller reaches it. */
  segments?: string[];
}

export interface LabHost {
  name: string;
  ip: string;
  /** Its address on the internal network (hosts on `both`). */
  internalIp?: string;
  /** Its address on each of its segments, by segment name (hosts with `segments`). */
  addresses?: Record<string, string>;
  containerId: string;
  exec(cmd: string[]): Promise<{ output: string; exitCode: number }>;
}

export interface Lab {
  name: string;
  hosts: LabHost[];
  network: LabNetwork;
  /** The internal network, when a host is on it. */
  internalNetwork?: LabNetwork;
  /** The lab's segments by name (LabOptions.segments). */
  segments: Record<string, LabNetwork>;
  inventoryPath: string;
  knownHostsPath: string;
  keyPath: string;
  host(name: string): LabHost;
  stop(): Promise<void>;
}

/** Like Promise.all, but rejects only once all have settled, so cleanup finds every container started. */
async function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

function validate(name: string, hosts: LabHostSpec[]): void {
  for (const label of [name, ...hosts.map((host) => host.name)]) {
    if (!NAME.test(label)) throw new Error(`Lab and host names are lowercase letters, digits and '-': got "${label}"`);
  }
  const seen = new Set<string>();
  for (const { name: host } of hosts) {
    if (seen.has(host)) throw new Error(`Host "${host}" is twice in lab "${name}"`);
    seen.add(host);
  }
}

/**
 * Starts a lab: one container per host on a network of its own, reachable over
 * SSH at its container IP with host keys pinned in the lab's known_hosts, and
 * an Ansible inventory for it. Resolves once every host has booted and its
 * sshd answers; on failure removes whatever it started.
 */
export interface LabOptions {
  name: string;
  hosts: LabHostSpec[];
  user?: 'lab' | 'root';
  /** The lab network's subnet and gateway (default: Docker picks). */
  subnet?: { subnet: string; gateway: string };
  /** Extra bridge networks by name (test/lab/networks.ts), e.g. `{ a: {}, b: {} }`; hosts join them with `segments`. */
  segments?: SegmentSpecs;
}

/**
 * Starts a lab; a lab whose host did not come up (seen once in ~100 lab starts
 * in CI: sshd of one container never answered) is removed, reported with what
 * the host said, and started once more.
 */
export async function startLab(opts: LabOptions): Promise<Lab> {
  try {
    return await startLabOnce(opts);
  } catch (error) {
    if (!(error instanceof LabHostNotReady)) throw error;
    console.warn(`lab ${opts.name}: ${error.message}\nlab ${opts.name}: removed; starting it once more`);
    return startLabOnce(opts);
  }
}

async function startLabOnce(opts: LabOptions): Promise<Lab> {
  const { name, hosts: specs, user = 'lab' } = opts;
  validate(name, specs);
  validateSegments(opts.segments ?? {}, specs);
  const existing = await findLabelled(`${LAB_LABEL}=${name}`);
  if (existing.containers.length + existing.networks.length > 0) throw new Error(`Lab "${name}" already exists: stop it first (npm run lab:down removes every lab)`);
  const image = await ensureImage();
  await ensureInotifyFor(specs.length);

  const workdir = labWorkdir(name);
  await rm(workdir, { recursive: true, force: true });
  await mkdir(workdir, { recursive: true });
  const keyPath = join(workdir, 'id_ed25519');
  const knownHostsPath = join(workdir, 'known_hosts');
  const inventoryPath = join(workdir, 'inventory.yaml');
  const clientKey = generateKeyPair(`labwright@${name}`);
  await writeFile(keyPath, clientKey.private, { mode: 0o600 });
  await writeFile(`${keyPath}.pub`, `${clientKey.public}\n`);

  try {
    const network = await createNetwork(name, opts.subnet);
    const internalNetwork = specs.some((spec) => (spec.network ?? 'lab') !== 'lab') ? await createNetwork(name, undefined, { internal: true }) : undefined;
    const segments = await createSegments(name, opts.segments ?? {});
    const ready = await allOrFirstError(
      specs.map(async (spec) => {
        const hostKey = generateKeyPair(`${spec.name}@${name}`);
        const internalOnly = spec.network === 'internal';
        const onSegments = spec.segments?.map((s) => [s, segments[s]!] as [string, typeof network]);
        const own = onSegments ? onSegments[0]![1].name : internalOnly ? internalNetwork!.name : network.name;
        const container = await startHostContainer({ lab: name, name: spec.name, image, network: own, hostKey, authorizedKey: clientKey.public, ip: spec.ip });
        const internalIp = spec.network === 'both' ? await connectToNetwork(container.getId(), internalNetwork!.name) : undefined;
        const addresses = onSegments ? await attachSegments(container.getId(), onSegments, container.getIpAddress(own)) : undefined;
        const host: LabHost = {
          name: spec.name,
          ip: container.getIpAddress(own),
          ...(internalIp ? { internalIp } : {}),
          ...(addresses ? { addresses } : {}),
          containerId: container.getId(),
          exec: async (cmd) => {
            const { output, exitCode } = await container.exec(cmd);
            return { output, exitCode };
          },
        };
        await waitUntilReady(host);
        if (internalOnly) await refuseController(host, internalNetwork!.gateway);
        return { host, hostKey };
      }),
    );
    const hosts = ready.map(({ host }) => host);

    await writeFile(knownHostsPath, knownHosts(ready.map(({ host, hostKey }) => ({ address: host.ip, hostKey }))));
    const inventoryHosts = specs.map((spec, i) => ({ ...spec, ip: hosts[i]!.ip }));
    await writeFile(inventoryPath, inventoryYaml(inventoryHosts, { user, keyPath, knownHostsPath }));

    return {
      name,
      hosts,
      network,
      ...(internalNetwork ? { internalNetwork } : {}),
      segments,
      inventoryPath,
      knownHostsPath,
      keyPath,
      host(hostName) {
        const host = hosts.find((candidate) => candidate.name === hostName);
        if (!host) throw new Error(`Lab "${name}" has no host "${hostName}" (it has ${hosts.map((h) => h.name).join(', ')})`);
        return host;
      },
      stop: () => removeLab(name),
    };
  } catch (error) {
    await removeLab(name);
    throw error;
  }
}

/** Removes a lab's containers, network and working directory. */
export async function removeLab(name: string): Promise<void> {
  await removeLabelled(`${LAB_LABEL}=${name}`);
  await rm(labWorkdir(name), { recursive: true, force: true });
}

/** Removes every lab's containers, networks and working directories; returns their names. */
export async function removeLeftovers(): Promise<string[]> {
  const labs = [...(await removeLabelled(LAB_LABEL))];
  await Promise.all(labs.map((lab) => rm(labWorkdir(lab), { recursive: true, force: true })));
  return labs;
}

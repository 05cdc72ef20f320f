import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { docker, LAB_LABEL } from './docker.js';
import type { KeyPair } from './ssh-keys.js';

export interface LabNetwork {
  name: string;
  subnet: string;
  gateway: string;
}

/**
 * A bridge network of the lab's own; Docker picks the subnet unless one is given (its first address is the gateway: the controller).
 * `internal`: a second network, `docker network create --internal` (no route out of it), named labwright-LAB-internal.
 * `suffix`: a segment of the lab (test/lab/networks.ts), named labwright-LAB-SUFFIX.
 * `masquerade: false`: Docker does not source-NAT traffic leaving the network's subnet.
 */
export async function createNetwork(
  lab: string,
  subnet?: { subnet: string; gateway: string },
  { internal = false, suffix, masquerade = true }: { internal?: boolean; suffix?: string; masquerade?: boolean } = {},
): Promise<LabNetwork> {
  const client = await docker();
  const name = suffix ? `labwright-${lab}-${suffix}` : internal ? `labwright-${lab}-internal` : `labwright-${lab}`;
  const network = await client.network.create({
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: internal,
    Labels: { [LAB_LABEL]: lab },
    ...(masquerade ? {} : { Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' } }),
    ...(subnet ? { IPAM: { Config: [{ Subnet: subnet.subnet, Gateway: subnet.gateway }] } } : {}),
  });
  const ipam = (await network.inspect()).IPAM?.Config?.[0];
  if (!ipam?.Subnet || !ipam.Gateway) throw new Error(`Docker gave network ${name} no subnet or gateway`);
  return { name, subnet: ipam.Subnet, gateway: ipam.Gateway };
}

export interface HostContainerSpec {
  lab: string;
  name: string;
  image: string;
  network: string;
  hostKey: KeyPair;
  authorizedKey: string;
  /** A fixed address on the lab network (the network must have been created with a subnet). */
  ip?: string;
}

/** GenericContainer that can ask Docker for a fixed address on its network. */
class LabHostContainer extends GenericContainer {
  withFixedIp(network: string, ip: string | undefined): this {
    if (ip) this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip } } } };
    return this;
  }
}

/**
 * Starts one test host: systemd as PID 1 (without --privileged, which fails
 * here), its own sshd host key and the lab's client key copied in before start.
 */
export async function startHostContainer(spec: HostContainerSpec): Promise<StartedTestContainer> {
  const authorizedKeys = `${spec.authorizedKey}\n`;
  return new LabHostContainer(spec.image)
    .withName(`labwright-${spec.lab}-${spec.name}`)
    .withHostname(spec.name)
    .withLabels({ [LAB_LABEL]: spec.lab })
    .withNetworkMode(spec.network)
    .withFixedIp(spec.network, spec.ip)
    .withAddedCapabilities('NET_ADMIN', 'SYS_ADMIN', 'NET_RAW')
    .withSecurityOpt('seccomp=unconfined')
    .withTmpFs({ '/run': 'rw,mode=755', '/run/lock': 'rw' })
    .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'ro' }])
    .withCopyContentToContainer([
      { content: spec.hostKey.private, target: '/etc/ssh/ssh_host_ed25519_key', mode: 0o600 },
      { content: `${spec.hostKey.public}\n`, target: '/etc/ssh/ssh_host_ed25519_key.pub', mode: 0o644 },
      { content: authorizedKeys, target: '/root/.ssh/authorized_keys', mode: 0o600 },
      { content: authorizedKeys, target: '/home/lab/.ssh/authorized_keys', mode: 0o600 },
    ])
    .start();
}

/** Attaches a running container to one more network; resolves with its address there. */
export async function connectToNetwork(containerId: string, network: string): Promise<string> {
  const api = (await docker()).container.dockerode;
  await api.getNetwork(network).connect({ Container: containerId });
  const info = await api.getContainer(containerId).inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`Docker gave container ${containerId} no address on ${network}`);
  return ip;
}

/**
 * Makes the controller unable to reach a host on the internal network: Docker
 * still puts the controller's own address on the bridge of an --internal
 * network, so the host refuses it (ICMP host-unreachable: "no route to host"),
 * inside the container's own network namespace. Other hosts still reach it.
 */
export async function refuseController(host: { name: string; exec(cmd: string[]): Promise<{ output: string; exitCode: number }> }, controller: string): Promise<void> {
  const rules = `table ip lab-isolation {\n  chain input {\n    type filter hook input priority -200;\n    ip saddr ${controller} reject with icmp type host-unreachable\n  }\n}`;
  const { output, exitCode } = await host.exec(['sh', '-c', `nft -f - <<'RULES'\n${rules}\nRULES`]);
  if (exitCode !== 0) throw new Error(`${host.name}: cannot isolate it from the controller: ${output}`);
}

import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';

/** The label on every lab container and network; its value is the lab's name. */
export const LAB_LABEL = 'labwright.lab';

/**
 * The Docker client. Labs clean up after themselves by label, and there is no
 * registry to pull testcontainers' Ryuk reaper from, so Ryuk stays off.
 */
export async function docker(): Promise<ContainerRuntimeClient> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  try {
    return await getContainerRuntimeClient();
  } catch (cause) {
    throw new Error('Docker is not running: start dockerd or run .ci/run', { cause });
  }
}

/** The containers (running or not) and networks that carry `label` (`name` or `name=value`). */
export async function findLabelled(label: string) {
  const api = (await docker()).container.dockerode;
  const filters = { label: [label] };
  return { containers: await api.listContainers({ all: true, filters }), networks: await api.listNetworks({ filters }) };
}

/** Removes the containers (forcibly), then the networks, that carry `label`. Returns the lab names found on them. */
export async function removeLabelled(label: string): Promise<Set<string>> {
  const api = (await docker()).container.dockerode;
  const { containers, networks } = await findLabelled(label);
  await Promise.all(containers.map((container) => api.getContainer(container.Id).remove({ force: true, v: true }).catch(ignoreGone)));
  await Promise.all(networks.map((network) => api.getNetwork(network.Id).remove().catch(ignoreGone)));
  return new Set([...containers.map((c) => c.Labels[LAB_LABEL]), ...networks.map((n) => n.Labels?.[LAB_LABEL])].filter((lab): lab is string => !!lab));
}

/** Another process removed it first (404), or is removing it (409). */
function ignoreGone(error: { statusCode?: number }): void {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}

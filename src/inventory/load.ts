import { resolveConnection, type ConnectionDefaults } from './connection.js';
import { newDraft } from './draft.js';
import { addImplicitGroups, analyzeGroups } from './graph.js';
import { extraVarsLayer, mergeLayers, plainVars } from './merge.js';
import { selectHosts } from './patterns.js';
import { groupMergeOrder, groupSources, hostLayers, ownGroupVars } from './precedence.js';
import { addInventorySource, findInventorySources } from './sources.js';
import type { Group, Host, Inventory, Vars } from './types.js';
import { readVarsFiles } from './vars-files.js';
import { resolveReach } from './ssh-reach.js';
import { lazyVars, renderedConnectionLayers, type TemplateWorld } from './lazy-vars.js';
import type { ConnectionSpec } from '../connection/types.js';
import type { VaultKeyring } from '../vault/keyring.js';

/** What to read the inventory with; the ConnectionDefaults (-u, --private-key, -b, -K, --timeout …) apply to hosts whose variables set none. */
export interface LoadOptions extends ConnectionDefaults {
  /** `-e` variables: they win over everything else. */
  extraVars?: Vars;
  /** The OpenSSH client configuration read for hosts whose ssh args give no `-F` (default ~/.ssh/config). */
  sshConfigFile?: string;
  /** Vault passwords, for vault-encrypted files and `!vault` values (none: such data is an error naming it). */
  vault?: VaultKeyring;
}

/**
 * Reads Ansible inventories (merged in order): YAML or INI files, or
 * directories of them (see sources.ts), with the group_vars/ and host_vars/
 * beside each file or inside each directory, with Ansible's variable precedence (see
 * hostLayers). Throws ParseError (exit 4) for any mistake.
 */
export async function loadInventory(paths: string[], opts: LoadOptions = {}): Promise<Inventory> {
  const draft = newDraft();
  const inventorySources = await findInventorySources(paths);
  for (const file of inventorySources.files) await addInventorySource(draft, file, opts.vault);
  addImplicitGroups(draft);
  const graph = analyzeGroups(draft);

  const groupVarsFiles = await readVarsFiles(inventorySources.varsDirs, 'group_vars', draft.groups.keys(), opts.vault);
  const hostVarsFiles = await readVarsFiles(inventorySources.varsDirs, 'host_vars', draft.hosts.keys(), opts.vault);
  const sources = groupSources(draft, groupVarsFiles);
  const mergeOrder = groupMergeOrder(graph, sources);
  const extraVars = extraVarsLayer(opts.extraVars ?? {});

  const hosts = new Map<string, Host>();
  let groupHosts: Record<string, string[]> | undefined;
  const world: TemplateWorld = {
    hosts,
    // Templates render once every host is known (the ssh options are read right after this loop).
    groups: () =>
      (groupHosts ??= Object.fromEntries(
        [...draft.groups.keys()].map((group) => [group, [...hosts.values()].filter((h) => h.groups.includes(group)).map((h) => h.name)]),
      )),
  };
  for (const [name, inventoryVars] of draft.hosts) {
    const directGroups = [...draft.groups.values()].filter((group) => group.hosts.has(name));
    const groups = [...new Set(directGroups.flatMap((group) => [...graph.ancestors.get(group.name)!]))];
    groups.sort(mergeOrder);
    const ownFiles = hostVarsFiles.map((files) => files.get(name)!);
    const layers = hostLayers(groups, sources, inventoryVars, ownFiles, extraVars);
    const vars = mergeLayers(layers);
    const origin = ([key, ...inside]: readonly PropertyKey[]) => {
      const located = vars.get(String(key));
      return located && ((inside.length > 0 ? located.locate?.(inside) : undefined) ?? located.origin.location);
    };
    const hostVars = lazyVars(name, plainVars(vars), vars, world);
    // Resolved on first use, once every host is known: templates in connection settings may read other hosts.
    let connection: ConnectionSpec | undefined;
    const resolve = () => resolveConnection(name, renderedConnectionLayers(layers, hostVars), opts);
    hosts.set(name, { name, vars: hostVars, groups, get connection() { return (connection ??= resolve()); }, origin });
  }

  resolveReach(hosts, { sshConfigFile: opts.sshConfigFile });

  const groups = new Map<string, Group>(
    [...draft.groups.values()].map((group) => [
      group.name,
      {
        name: group.name,
        children: [...group.children.keys()],
        hosts: [...hosts.values()].filter((host) => host.groups.includes(group.name)).map((host) => host.name),
        ownHosts: [...group.hosts],
        vars: plainVars(ownGroupVars(group.name, sources)),
      },
    ]),
  );

  return {
    sources: [...paths],
    hosts,
    groups,
    select: (pattern) => selectHosts(pattern, hosts, groups),
    origin: (host, key) => hosts.get(host)?.origin?.([key]),
  };
}

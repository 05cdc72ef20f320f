import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ParseError } from '../errors.js';
import type { VarLayer } from './merge.js';
import { readVars, rootEntry } from './nodes.js';
import { cannotRead } from './read-text.js';
import { readYamlSource } from './yaml.js';
import type { VaultKeyring } from '../vault/keyring.js';

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** The layers each group (or host) gets from the group_vars/ (or host_vars/) directory beside one inventory file. */
export type VarsFiles = ReadonlyMap<string, readonly VarLayer[]>;

/**
 * For each of `inventoryDirs` (per -i argument: the folder of an inventory
 * file, or an inventory directory itself), in order, the variables each of
 * `names` gets from `<kind>/<name>` in it (a .yml, .yaml or .json file, or a
 * directory of them read in lexical order).
 *
 * Like Ansible, which loads the vars files beside each inventory source in
 * turn, a directory holding several of the inventory files is counted once for
 * each of them (it is read only once): with inventories a/1, b/2 and a/3, the
 * files of a/ are applied again after those of b/.
 */
export async function readVarsFiles(
  inventoryDirs: readonly string[],
  kind: 'group_vars' | 'host_vars',
  names: Iterable<string>,
  vault?: VaultKeyring,
): Promise<VarsFiles[]> {
  const nameList = [...names];
  const byDir = new Map<string, Promise<VarsFiles>>();
  const read = (dir: string) => {
    let files = byDir.get(dir);
    if (!files) byDir.set(dir, (files = readVarsDir(path.join(dir, kind), nameList, vault)));
    return files;
  };
  const result: VarsFiles[] = [];
  for (const dir of inventoryDirs) result.push(await read(dir));
  return result;
}

async function readVarsDir(varsDir: string, names: readonly string[], vault?: VaultKeyring): Promise<VarsFiles> {
  const entries = await listDir(varsDir);
  const layers = new Map<string, VarLayer[]>();
  for (const name of names) {
    const nameLayers: VarLayer[] = [];
    for (const file of await filesFor(varsDir, entries, name)) {
      const source = await readYamlSource(file, vault);
      nameLayers.push(readVars(source, rootEntry(source)));
    }
    layers.set(name, nameLayers);
  }
  return layers;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cannotRead(dir, error);
  }
}

/** The files holding variables of `name` in `varsDir` (whose entries are `entries`). */
async function filesFor(varsDir: string, entries: readonly string[], name: string): Promise<string[]> {
  const matches = entries.filter((entry) => entry === name || VARS_EXTENSIONS.some((ext) => entry === name + ext));
  if (matches.length > 1) {
    throw new ParseError(
      `${matches.map((match) => path.join(varsDir, match)).join(' and ')} both hold variables of "${name}": ` +
        'keep only one of them',
    );
  }
  return matches.length === 1 ? varsFilesAt(path.join(varsDir, matches[0])) : [];
}

/** `file` itself, or the vars files under directory `file` in lexical order (hidden and backup~ files skipped). */
async function varsFilesAt(file: string): Promise<string[]> {
  const stats = await stat(file).catch((error: unknown) => {
    throw cannotRead(file, error);
  });
  if (!stats.isDirectory()) return [file];
  const candidates = (await listDir(file)).filter(
    (entry) => !entry.startsWith('.') && !entry.endsWith('~') && ['', ...VARS_EXTENSIONS].includes(path.extname(entry)),
  );
  const nested = await Promise.all(candidates.map((entry) => varsFilesAt(path.join(file, entry))));
  return nested.flat();
}

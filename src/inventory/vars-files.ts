import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ParseError } from '../errors.js';
import type { VarLayer } from './merge.js';
import { readVars, rootEntry } from './nodes.js';
import { readYamlSource } from './yaml.js';

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

/**
 * The variables each of `names` gets from `<kind>/<name>` (a .yml, .yaml or
 * .json file, or a directory of them read in lexical order) beside each
 * inventory directory, in the order of `inventoryDirs`.
 */
export async function readVarsFiles(
  inventoryDirs: readonly string[],
  kind: 'group_vars' | 'host_vars',
  names: Iterable<string>,
): Promise<Map<string, VarLayer[]>> {
  const layers = new Map([...names].map((name) => [name, [] as VarLayer[]]));
  for (const dir of inventoryDirs) {
    const varsDir = path.join(dir, kind);
    const entries = await listDir(varsDir);
    for (const [name, nameLayers] of layers) {
      for (const file of await filesFor(varsDir, entries, name)) {
        const source = await readYamlSource(file);
        nameLayers.push(readVars(source, rootEntry(source)));
      }
    }
  }
  return layers;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ParseError(`${dir}: cannot read: ${String(error)}`);
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
  if (!(await stat(file)).isDirectory()) return [file];
  const candidates = (await listDir(file)).filter(
    (entry) => !entry.startsWith('.') && !entry.endsWith('~') && ['', ...VARS_EXTENSIONS].includes(path.extname(entry)),
  );
  const nested = await Promise.all(candidates.map((entry) => varsFilesAt(path.join(file, entry))));
  return nested.flat();
}

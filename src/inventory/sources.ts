import { accessSync, constants } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import { ParseError } from '../errors.js';
import type { VaultKeyring } from '../vault/keyring.js';
import { addWithSecrets } from '../vault/draft-secrets.js';
import { openVaultFile } from '../vault/yaml-vault.js';
import type { InventoryDraft } from './draft.js';
import { addIniFile } from './ini.js';
import { cannotRead, readText } from './read-text.js';
import { addInventoryFile } from './structure.js';
import { parseYaml, type YamlSource } from './yaml.js';

/** The inventory files behind the -i arguments, and where each argument's group_vars/ and host_vars/ are. */
export interface InventorySources {
  /** Every inventory file, in the order Ansible parses them. */
  readonly files: readonly string[];
  /** For each -i argument in turn: the directory holding its group_vars/ and host_vars/ (a directory source: itself). */
  readonly varsDirs: readonly string[];
}

/**
 * Names Ansible skips in an inventory directory (INVENTORY_IGNORE_EXTS and
 * the always-ignored names, ansible/inventory/manager.py): hidden files,
 * group_vars/, host_vars/, vars_plugins/, and names ending in one of
 * .pyc .pyo .swp .bak ~ .rpm .md .txt .rst .orig .ini .cfg .retry — so an INI
 * file inside a directory must not end in .ini (as in Ansible: name it
 * `hosts` or `10-lab`).
 */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

/** File name endings the YAML inventory plugin reads (besides names without one), as Ansible's defaults. */
const YAML_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * The inventory files of `paths` (-i arguments): a file is itself; a
 * directory is every file under it, in sorted order, recursively, skipping
 * the names Ansible ignores.
 */
export async function findInventorySources(paths: readonly string[]): Promise<InventorySources> {
  const files: string[] = [];
  const varsDirs: string[] = [];
  for (const source of paths) {
    const isDir = (await statOf(source)).isDirectory();
    varsDirs.push(isDir ? source : path.dirname(source));
    if (isDir) files.push(...(await filesUnder(source, new Set())));
    else files.push(source);
  }
  return { files, varsDirs };
}

async function filesUnder(dir: string, visiting: Set<string>): Promise<string[]> {
  const real = await realpath(dir).catch((error: unknown) => {
    throw cannotRead(dir, error);
  });
  if (visiting.has(real)) throw new ParseError(`${dir}: cannot read: a loop of symbolic links (this directory contains itself)`);
  const entries = await readdir(dir).catch((error: unknown) => {
    throw cannotRead(dir, error);
  });
  // Python's sorted() of the byte names: byte order.
  entries.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files: string[] = [];
  for (const entry of entries.filter((name) => !IGNORED.test(name))) {
    const full = path.join(dir, entry);
    if ((await statOf(full)).isDirectory()) files.push(...(await filesUnder(full, new Set([...visiting, real]))));
    else files.push(full);
  }
  return files;
}

async function statOf(file: string) {
  return stat(file).catch((error: unknown) => {
    throw cannotRead(file, error);
  });
}

/**
 * Adds one inventory file, YAML or INI, told apart as Ansible does: a file
 * named .yml, .yaml, .json or without extension is read as YAML when it holds
 * a mapping of groups, else as INI; any other name is INI only. When neither
 * reads, the error given is the INI one for a file that looks like INI (has a
 * [section] line) or is not named for YAML, else the YAML one.
 */
export async function addInventorySource(draft: InventoryDraft, file: string, vault?: VaultKeyring): Promise<void> {
  const fileText = await readText(file);
  refuseScript(file, fileText);
  // A vault-encrypted inventory is read as its plaintext: a wrong password fails here, never falls back to INI.
  const { text, encrypted } = openVaultFile(file, fileText, vault);
  const extension = path.extname(file);
  const yamlFirst = extension === '' || YAML_EXTENSIONS.includes(extension);
  let yamlError: unknown;
  if (yamlFirst) {
    let source: YamlSource | undefined;
    try {
      source = parseYaml(file, fileText, vault);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      yamlError = error;
    }
    if (source && (isMap(source.doc.contents) || source.doc.contents === null)) {
      refusePluginConfig(source);
      addInventoryFile(draft, source);
      return;
    }
    yamlError ??= new ParseError(`${file}: neither a YAML inventory (a mapping of groups such as "all:") nor an INI one`);
  }
  try {
    if (encrypted) addWithSecrets(draft, () => addIniFile(draft, file, text));
    else addIniFile(draft, file, text);
  } catch (error) {
    if (yamlError && error instanceof ParseError && !/^\s*\[[^\]\s]+\]\s*$/m.test(text)) throw yamlError;
    throw error;
  }
}

/** An executable file starting with `#!` is an inventory script, which Ansible runs and labwright does not. */
function refuseScript(file: string, text: string): void {
  if (!text.startsWith('#!')) return;
  let executable = false;
  try {
    accessSync(file, constants.X_OK);
    executable = true;
  } catch {
    // not executable: Ansible reads it as an inventory file too
  }
  if (executable) {
    throw new ParseError(
      `${file}: is an executable inventory script, which labwright does not run: it reads YAML and INI inventories ` +
        '(ansible-inventory -i FILE --list -y > hosts.yaml writes one)',
    );
  }
}

/** A YAML file with a `plugin:` key configures an inventory plugin (aws_ec2, proxmox, …), which labwright does not run. */
function refusePluginConfig(source: YamlSource): void {
  const contents = source.doc.contents;
  if (!isMap(contents)) return;
  const plugin = contents.items.find((pair) => isScalar(pair.key) && pair.key.value === 'plugin');
  if (plugin) {
    throw new ParseError(
      `${source.file}: configures the inventory plugin ${String(isScalar(plugin.value) ? plugin.value.value : plugin.value)}, ` +
        'which labwright does not run: it reads YAML and INI inventories (ansible-inventory -i FILE --list -y > hosts.yaml writes one)',
    );
  }
}

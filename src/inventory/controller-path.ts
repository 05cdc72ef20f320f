import { homedir } from 'node:os';
import path from 'node:path';
import type { Origin } from './position.js';
import { parseErrorAt } from './position.js';

/** Folders of vars files beside an inventory file: a path set in them is taken from the inventory's folder. */
const VARS_DIRS = new Set(['group_vars', 'host_vars']);

/**
 * A path on the controller as the inventory wrote it, made absolute:
 * `~` and `~/…` are the home directory (as Ansible's expanduser); a relative
 * path is taken from the folder of the inventory file that set it (also for
 * one set in its group_vars/ or host_vars/), and from the working directory
 * when it came from the command line (extra vars).
 */
export function controllerPath(value: string, origin: Origin): string {
  if (value === '~' || value.startsWith('~/')) return expandHome(value);
  if (value.startsWith('~')) {
    throw parseErrorAt(origin, `"${value}": only ~ and ~/… (your own home directory) are expanded: write the full path`);
  }
  return path.resolve(inventoryFolder(origin), value);
}

/** The folder of the inventory file `origin` is in ("hosts.yaml:3:5", "group_vars/all/main.yml:1:1"), or the working directory. */
function inventoryFolder(origin: Origin): string {
  const file = /^(.*):\d+:\d+$/.exec(origin.location)?.[1];
  if (file === undefined) return process.cwd(); // extra vars
  const parts = path.resolve(file).split(path.sep);
  for (let i = parts.length - 2; i > 0; i--) if (VARS_DIRS.has(parts[i]!)) return parts.slice(0, i).join(path.sep) || path.sep;
  return path.dirname(path.resolve(file));
}

/**
 * `~` and `~/…` as the home directory (any other path as it is): for
 * controller paths that reach an op without where they were set (role vars
 * such as manifest_file or admin_conf_fetch_to).
 */
export function expandHome(value: string): string {
  return value === '~' || value.startsWith('~/') ? path.join(homedir(), value.slice(1)) : value;
}

/** A controller path given on the command line (--private-key): `~` expanded, relative to the working directory. */
export function commandLinePath(value: string): string {
  return path.resolve(expandHome(value));
}

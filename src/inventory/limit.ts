import { OptionsError, ParseError } from '../errors.js';
import { splitPattern } from './patterns.js';
import { readTextSync } from './read-text.js';
import type { Inventory } from './types.js';

/**
 * The names of the hosts a `--limit` lets through. As in Ansible, a part
 * `@FILE` of the limit stands for the patterns in FILE, one per line (a retry
 * file lists host names), blank lines skipped: `--limit @site.retry`,
 * `--limit @failed.txt,!gw1`.
 */
export function limitHosts(inventory: Inventory, limit: string): Set<string> {
  return new Set(inventory.select(withLimitFiles(limit)).map((host) => host.name));
}

/** The limit with each `@FILE` part replaced by the file's lines, comma-separated. */
function withLimitFiles(limit: string): string {
  const parts = splitPattern(limit);
  if (!parts.some((part) => part.startsWith('@'))) return limit;
  const patterns = parts.flatMap((part) => (part.startsWith('@') ? linesOf(part.slice(1)) : [part]));
  if (patterns.length === 0) throw new OptionsError(`-l/--limit ${limit}: the limit file lists no host`);
  return patterns.join(',');
}

function linesOf(file: string): string[] {
  try {
    return readTextSync(file)
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch (error) {
    if (error instanceof ParseError) throw new OptionsError(`-l/--limit @${file}: ${error.message}`);
    throw error;
  }
}

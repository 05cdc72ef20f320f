import { OptionsError } from '../errors.js';
import type { Group, Host } from './types.js';

type Operation = 'union' | 'intersection' | 'exclusion';

interface Term {
  readonly operation: Operation;
  /** A name, a glob with * and ?, or a regex after ~. */
  readonly text: string;
}

const ALL: Term = { operation: 'union', text: 'all' };
const OPERATIONS: Readonly<Record<string, Operation>> = { '!': 'exclusion', '&': 'intersection' };

/**
 * Hosts matching an Ansible host pattern, in inventory order: terms separated
 * by `:` or `,`; `&term` intersects, `!term` excludes. Unions apply first,
 * then intersections, then exclusions (Ansible's order); with only `&`/`!`
 * terms, they apply to `all`. A term matches the hosts of matching groups and
 * matching hosts.
 */
export function selectHosts(
  pattern: string,
  hosts: ReadonlyMap<string, Host>,
  groups: ReadonlyMap<string, Group>,
): Host[] {
  const terms = parsePattern(pattern);
  const matching = (term: Term): Set<string> => {
    const matches = termMatcher(pattern, term.text);
    const fromGroups = [...groups.values()].filter((group) => matches(group.name)).flatMap((group) => group.hosts);
    return new Set([...fromGroups, ...[...hosts.keys()].filter(matches)]);
  };
  const unions = terms.filter((term) => term.operation === 'union');
  const selected = new Set((unions.length > 0 ? unions : [ALL]).flatMap((term) => [...matching(term)]));
  for (const term of terms.filter((t) => t.operation === 'intersection')) {
    const other = matching(term);
    for (const name of selected) if (!other.has(name)) selected.delete(name);
  }
  for (const term of terms.filter((t) => t.operation === 'exclusion')) {
    for (const name of matching(term)) selected.delete(name);
  }
  return [...hosts.values()].filter((host) => selected.has(host.name));
}

function parsePattern(pattern: string): Term[] {
  return pattern.split(/[:,]/).map((part) => {
    const trimmed = part.trim();
    const operation = OPERATIONS[trimmed[0]] ?? 'union';
    const text = operation === 'union' ? trimmed : trimmed.slice(1).trim();
    if (trimmed === '') throw badPattern(pattern, 'it has an empty part');
    if (text === '' || text[0] in OPERATIONS) {
      throw badPattern(pattern, `"${trimmed}" needs a name after ${trimmed[0]}`);
    }
    if (!text.startsWith('~') && /[[\]]/.test(text)) {
      const advice = 'use a glob (web*) or a regex (~web[12])';
      throw badPattern(pattern, `subscripts such as "${text}" are not supported: ${advice}`);
    }
    return { operation, text };
  });
}

/** Whether a name matches `text`: a regex after ~ (matched from the start, like Ansible), a glob, or a name. */
function termMatcher(pattern: string, text: string): (name: string) => boolean {
  if (text.startsWith('~')) {
    try {
      // Sticky: matches only at lastIndex 0, i.e. from the start of the name (Python's re.match).
      const regex = new RegExp(text.slice(1), 'y');
      return (name) => {
        regex.lastIndex = 0;
        return regex.test(name);
      };
    } catch (error) {
      throw badPattern(pattern, `"${text}" is not a valid regex: ${(error as Error).message}`);
    }
  }
  if (/[*?]/.test(text)) {
    const glob = text.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    const regex = new RegExp(`^${glob}$`);
    return (name) => regex.test(name);
  }
  return (name) => name === text;
}

function badPattern(pattern: string, reason: string): OptionsError {
  return new OptionsError(`bad host pattern "${pattern}": ${reason}`);
}

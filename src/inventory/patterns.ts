import { OptionsError } from '../errors.js';
import { parseAddress } from './host-ranges.js';
import type { Group, Host } from './types.js';

/*
 * Ansible host patterns, evaluated as ansible-core's InventoryManager does
 * (ansible/inventory/manager.py), host order included.
 */

type Operation = 'union' | 'intersection' | 'exclusion';

interface Term {
  readonly operation: Operation;
  /** A name, a glob (* ? [abc] [!abc]) or a regex after ~, perhaps with a subscript: web[0], web[-1], web[0:2], web[1:]. */
  readonly text: string;
}

const OPERATIONS: Readonly<Record<string, Operation>> = { '!': 'exclusion', '&': 'intersection' };
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/**
 * Hosts matching an Ansible host pattern, in Ansible's order: terms
 * separated by `,` (or, when there is no comma, by `:` outside brackets);
 * `&term` intersects, `!term` excludes. Unions apply first, in the order
 * written, then intersections, then exclusions; with only `&`/`!` terms they
 * apply to `all`. A term names a host, or matches groups (their hosts: the
 * group's own, then its children's, level by level) and, for a glob, a regex
 * or a name matching no group, hosts. A subscript picks from a term's hosts
 * in that order: `[0]`, `[-1]`, `[0:2]` (both ends included), `[1:]`.
 * Each host is listed once, where it first appears.
 */
export function selectHosts(
  pattern: string,
  hosts: ReadonlyMap<string, Host>,
  groups: ReadonlyMap<string, Group>,
): Host[] {
  const terms = orderTerms(splitPattern(pattern).map((part) => parseTerm(pattern, part)));
  const groupHosts = groupHostLister(groups);
  let selected: string[] = [];
  for (const term of terms) {
    if (term.operation === 'union' && hosts.has(term.text)) {
      selected.push(term.text);
      continue;
    }
    const matching = matchTerm(pattern, term.text, hosts, groups, groupHosts);
    if (term.operation === 'union') {
      const already = new Set(selected);
      selected.push(...matching.filter((name) => !already.has(name)));
    } else {
      const set = new Set(matching);
      selected = selected.filter((name) => set.has(name) === (term.operation === 'intersection'));
    }
  }
  return [...new Set(selected)].map((name) => hosts.get(name)!);
}

/**
 * split_host_pattern: with a comma, the comma-separated parts; without, the
 * pattern itself when it reads as one address (a host, `host:port`, a
 * range), else its parts between `:` and whitespace outside brackets. Unlike
 * Ansible, which drops them silently, an empty part is refused (a typo such
 * as `web,,db` or `web:` is an error, not a smaller selection).
 */
export function splitPattern(pattern: string): string[] {
  if (pattern.includes(',')) {
    const parts = pattern.split(',').map((part) => part.trim());
    if (parts.some((part) => part === '')) throw badPattern(pattern, 'it has an empty part');
    return parts;
  }
  const trimmed = pattern.trim();
  if (trimmed === '') throw badPattern(pattern, 'it has an empty part');
  if (parseAddress(trimmed)) return [trimmed];
  const parts: string[] = [];
  let part = '';
  let depth = 0;
  for (const char of trimmed) {
    if (char === '[') depth++;
    if (char === ']') depth = Math.max(0, depth - 1);
    if (depth === 0 && char === ':') {
      if (part.trim() === '') throw badPattern(pattern, 'it has an empty part');
      parts.push(part);
      part = '';
    } else {
      part += char;
    }
  }
  if (part.trim() === '') throw badPattern(pattern, 'it has an empty part');
  parts.push(part);
  return parts.flatMap((item) => item.trim().split(/\s+/));
}

function parseTerm(pattern: string, part: string): Term {
  const operation = OPERATIONS[part[0]] ?? 'union';
  const text = operation === 'union' ? part : part.slice(1);
  if (text === '' || text[0] in OPERATIONS) throw badPattern(pattern, `"${part}" needs a name after ${part[0]}`);
  return { operation, text };
}

/** order_patterns: unions (or `all` when there is none), then intersections, then exclusions. */
function orderTerms(terms: readonly Term[]): Term[] {
  const of = (operation: Operation) => terms.filter((term) => term.operation === operation);
  const unions = of('union');
  return [...(unions.length > 0 ? unions : [{ operation: 'union' as const, text: 'all' }]), ...of('intersection'), ...of('exclusion')];
}

/** The hosts one term matches (with duplicates, as Ansible, before its subscript applies). */
function matchTerm(
  pattern: string,
  text: string,
  hosts: ReadonlyMap<string, Host>,
  groups: ReadonlyMap<string, Group>,
  groupHosts: (group: string) => readonly string[],
): string[] {
  const subscript = text.startsWith('~') ? undefined : SUBSCRIPT.exec(text);
  const expression = subscript ? subscript[1] : text;
  const matches = nameMatcher(pattern, expression);
  const matchingGroups = [...groups.keys()].filter(matches);
  const found = matchingGroups.flatMap(groupHosts);
  if (matchingGroups.length === 0 || /^~|[.?*[]/.test(expression)) found.push(...[...hosts.keys()].filter(matches));
  if (!subscript || found.length === 0) return found;

  const [, , index, start, , end] = subscript;
  if (index !== undefined) {
    const at = Number(index) < 0 ? found.length + Number(index) : Number(index);
    if (at < 0 || at >= found.length) {
      throw badPattern(pattern, `"${text}" asks for host ${index} of ${found.length} (${found.join(', ')}): counting starts at 0`);
    }
    return [found[at]];
  }
  // Ansible: [x:] runs to the last host; [x:0] is taken as [x].
  const last = end === '' ? found.length - 1 : Number(end);
  if (last === 0) {
    if (Number(start) >= found.length) throw badPattern(pattern, `"${text}" asks for host ${start} of ${found.length}: counting starts at 0`);
    return [found[Number(start)]];
  }
  return found.slice(Number(start), last + 1);
}

/**
 * Group.get_hosts() of Ansible: the group's own hosts, then those of its
 * children, then of their children, level by level, each host once.
 * (Ansible walks a level's groups in the order of a Python set, which is
 * arbitrary when several groups of one level have children; labwright takes
 * them in the order they were written.)
 */
function groupHostLister(groups: ReadonlyMap<string, Group>): (group: string) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  return (name) => {
    const known = cache.get(name);
    if (known) return known;
    const childrenOf = (group: string) => groups.get(group)?.children ?? [];
    const ordered = [name, ...childrenOf(name)];
    const seen = new Set<string>();
    let level = [name, ...childrenOf(name)];
    while (level.length > 0) {
      for (const group of level) seen.add(group);
      const next: string[] = [];
      for (const child of level.flatMap(childrenOf)) {
        if (!seen.has(child) && !next.includes(child)) {
          next.push(child);
          ordered.push(child);
        }
      }
      level = next;
    }
    const result = [...new Set(ordered.flatMap((group) => groups.get(group)?.ownHosts ?? []))];
    cache.set(name, result);
    return result;
  };
}

/** Whether a name matches `expression`: a regex after ~ (matched from the start, Python's re.match), a glob (fnmatch), or itself. */
function nameMatcher(pattern: string, expression: string): (name: string) => boolean {
  let regex: RegExp;
  try {
    // Sticky: matches only at lastIndex 0, i.e. from the start of the name.
    regex = expression.startsWith('~') ? new RegExp(expression.slice(1), 'y') : new RegExp(`^(?:${fnmatchToRegex(expression)})$`, 's');
  } catch (error) {
    throw badPattern(pattern, `"${expression}" is not a valid regex: ${(error as Error).message}`);
  }
  return (name) => {
    regex.lastIndex = 0;
    return regex.test(name);
  };
}

/** Python's fnmatch.translate: * ? [abc] [!abc]; every other character literal. */
function fnmatchToRegex(glob: string): string {
  let out = '';
  for (let at = 0; at < glob.length; at++) {
    const char = glob[at];
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else if (char === '[') {
      let close = at + 1;
      if (glob[close] === '!') close++;
      if (glob[close] === ']') close++;
      while (close < glob.length && glob[close] !== ']') close++;
      if (close >= glob.length) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(at + 1, close).replace(/[\\[\]]/g, '\\$&');
      if (body.startsWith('!')) body = '^' + body.slice(1);
      else if (body.startsWith('^')) body = '\\' + body;
      out += `[${body}]`;
      at = close;
    } else out += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

function badPattern(pattern: string, reason: string): OptionsError {
  return new OptionsError(`bad host pattern "${pattern}": ${reason}`);
}

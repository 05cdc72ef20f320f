import { ParseError } from '../errors.js';
import { draftGroup, draftHost, type InventoryDraft } from './draft.js';
import { expandHostEntry, HostRangeError } from './host-ranges.js';
import type { Located, VarLayer } from './merge.js';
import type { Origin } from './position.js';
import { parseIniValue, UnsupportedLiteral } from './py-literal.js';
import { expectValue, NAME } from './schema.js';

/*
 * Ansible's INI inventory format, read as its `ini` plugin reads it
 * (ansible/plugins/inventory/ini.py): hosts before any section are
 * ungrouped; `[group]` lists hosts (`name[:port] [key=value …]`, ranges
 * expanded), `[group:vars]` sets `key=value` group variables and
 * `[group:children]` names child groups, which may be declared later in the
 * file. Values are typed by Python's literal_eval (see py-literal.ts).
 * Comments are whole lines starting with `#` or `;`, and `#` after a host
 * entry. Every error names file:line.
 */

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;
/** Python's str.splitlines() boundaries. */
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

type State = 'hosts' | 'vars' | 'children';

interface Pending {
  readonly line: number;
  readonly state: 'vars' | 'children';
  readonly parents: string[];
}

/** Adds the groups, hosts and variables of the INI inventory `text` (read from `file`) to `draft`. */
export function addIniFile(draft: InventoryDraft, file: string, text: string): void {
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state: State = 'hosts';
  const lines = text.split(LINE_BREAK);
  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    // The column of `text` in the line (its first occurrence from `from`), else of the line's first character.
    const at = (keyPath = '', text = '', from = 0): Origin => {
      const found = text ? rawLine.indexOf(text, from) : -1;
      const column = (found === -1 ? rawLine.search(/\S/) : found) + 1;
      return { location: `${file}:${lineNumber}:${column}`, keyPath };
    };
    const fail = (message: string) => new ParseError(`${file}:${lineNumber}: ${message}`);
    const line = rawLine.trim();
    if (line === '' || line[0] === '#' || line[0] === ';') continue;

    const section = SECTION.exec(line);
    if (section) {
      group = safeGroupName(section[1]);
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw fail(`section [${section[1]}:${kind}] has an unknown type "${kind}": expected [group], [group:vars] or [group:children]`);
      }
      state = kind;
      if (!draft.groups.has(group)) {
        // [group] or [group:children] declares a group; [group:vars] alone must be followed by one of them.
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineNumber, state, parents: [] });
        draftGroup(draft, group);
      }
      const waiting = pending.get(group);
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') addPendingChildren(draft, group, pending, file);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw fail(`invalid section "${line}": write [group], [group:vars] or [group:children], without spaces`);
    }

    switch (state) {
      case 'hosts':
        addHosts(draft, group, line, at, fail);
        break;
      case 'vars': {
        const equals = line.indexOf('=');
        if (equals === -1) throw fail(`expected key=value, got "${line}"`);
        const key = line.slice(0, equals).trim();
        const value = typed(line.slice(equals + 1).trim(), fail);
        draftGroup(draft, group).vars.push(layer(key, value, at(`${group}:vars.${key}`, key)));
        break;
      }
      case 'children': {
        const child = GROUP_NAME.exec(line)?.[1];
        if (child === undefined) throw fail(`expected a group name, got "${line}"`);
        if (draft.groups.has(child)) {
          addChild(draft, group, child, at(`${group}:children.${child}`, child));
        } else {
          const waiting = pending.get(child);
          if (waiting) waiting.parents.push(group);
          else pending.set(child, { line: lineNumber, state: 'children', parents: [group] });
        }
        break;
      }
    }
  }

  for (const [name, { line, state: kind, parents }] of pending) {
    const where = `${file}:${line}`;
    if (kind === 'vars') {
      throw new ParseError(`${where}: section [${name}:vars] is for a group that is not declared: add a [${name}] section`);
    }
    const safe = safeGroupName(name);
    const hint =
      safe !== name && draft.groups.has(safe)
        ? `: section names have characters other than letters, digits and _ replaced by _ (as in Ansible), so the group is "${safe}"`
        : `: declare it with a [${name}] or [${name}:children] section`;
    throw new ParseError(`${where}: section [${parents.at(-1)}:children] names group "${name}", which is not declared${hint}`);
  }
}

/** A `[group]` line: `host[:port] [key=value …]`; every host it names is added to `group` with those variables. */
function addHosts(
  draft: InventoryDraft,
  group: string,
  line: string,
  at: (keyPath?: string, text?: string, from?: number) => Origin,
  fail: (message: string) => ParseError,
): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(line);
  } catch (error) {
    throw fail(`cannot read the host line "${line}": ${(error as Error).message}`);
  }
  if (tokens.length === 0) return;
  const [entry, ...assignments] = tokens;
  let expanded: { names: string[]; port?: number };
  try {
    expanded = expandHostEntry(entry);
  } catch (error) {
    if (error instanceof HostRangeError) throw fail(`host range ${error.message}`);
    throw error;
  }
  if (entry.trim().endsWith(':') && expanded.port === undefined) {
    throw fail(`host "${entry}" ends in ":", which is reserved for a port (host:2222)`);
  }
  if (expanded.names.some((name) => name.trim() === '---')) {
    throw fail('"---" is not a host: this looks like a YAML file (YAML inventories end in .yml, .yaml or .json, or have no extension)');
  }
  const vars = new Map<string, Located>();
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals === -1) throw fail(`expected key=value after the host name, got "${assignment}"`);
    const key = assignment.slice(0, equals);
    vars.set(key, { value: typed(assignment.slice(equals + 1), fail), origin: at(`${entry}.${key}`, `${key}=`, entry.length) });
  }
  for (const name of expanded.names) {
    expectValue(NAME, name, at());
    const known = draft.hosts.has(name);
    const layers = draftHost(draft, name);
    // As Ansible, the port applies to a host when it is first seen.
    if (!known && expanded.port !== undefined) layers.push(layer('ansible_port', expanded.port, at(`${entry}.ansible_port`, entry)));
    draftGroup(draft, group).hosts.add(name);
    if (vars.size > 0) layers.push(vars);
  }
}

function addChild(draft: InventoryDraft, parent: string, child: string, origin: Origin): void {
  const { children } = draftGroup(draft, parent);
  if (!children.has(child)) children.set(child, origin);
}

/** A group declared at last: it becomes a child of the groups that named it, and so do groups waiting on those. */
function addPendingChildren(draft: InventoryDraft, group: string, pending: Map<string, Pending>, file: string): void {
  const { parents, line } = pending.get(group)!;
  for (const parent of parents) {
    addChild(draft, parent, group, { location: `${file}:${line}:1`, keyPath: `${parent}:children.${group}` });
    if (pending.get(parent)?.state === 'children') addPendingChildren(draft, parent, pending, file);
  }
  pending.delete(group);
}

function layer(key: string, value: unknown, origin: Origin): VarLayer {
  return new Map([[key, { value, origin }]]);
}

function typed(text: string, fail: (message: string) => ParseError): unknown {
  try {
    return parseIniValue(text);
  } catch (error) {
    if (error instanceof UnsupportedLiteral) {
      throw fail(`the value ${text} is ${error.message} in Python, which Ansible cannot show either: quote it to keep it a string`);
    }
    throw error;
  }
}

/** Ansible's to_safe_group_name(force=True): every character that cannot be in a variable name becomes _. */
export function safeGroupName(name: string): string {
  return name.replace(/^\p{Nd}|[^\p{L}\p{N}_]/gu, '_');
}

/**
 * Python's shlex.split(line, comments=True) (POSIX mode): words split at
 * whitespace, '…' and "…" quoting (backslash escapes " and \ inside "…"),
 * backslash escapes outside quotes, `#` starts a comment.
 */
export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let quote: string | undefined;
  for (let at = 0; at < line.length; at++) {
    const char = line[at];
    if (quote) {
      if (char === quote) quote = undefined;
      else if (quote === '"' && char === '\\' && (line[at + 1] === '"' || line[at + 1] === '\\')) token += line[++at];
      else token += char;
      continue;
    }
    if (' \t\r\n'.includes(char)) {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
    } else if (char === '#') {
      break;
    } else if (char === "'" || char === '"') {
      quote = char;
      inToken = true;
    } else if (char === '\\') {
      if (at + 1 >= line.length) throw new Error('no escaped character after the final \\');
      token += line[++at];
      inToken = true;
    } else {
      token += char;
      inToken = true;
    }
  }
  if (quote) throw new Error('no closing quotation');
  if (inToken) tokens.push(token);
  return tokens;
}

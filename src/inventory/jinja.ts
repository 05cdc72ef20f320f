import ipaddr from 'ipaddr.js';
import { createRequire } from 'node:module';
import type nunjucks from 'nunjucks';
import { isSecret } from '../secret.js';
import { parseIniValue, UnsupportedLiteral } from './py-literal.js';

/*
 * Jinja templates in inventory values, rendered as ansible-core 2.14 does
 * with its default jinja2_native=False, by nunjucks (a Jinja port for
 * JavaScript) restricted to what an inventory can mean: variables, the magic
 * variables labwright knows (given by the caller), Ansible's common filters.
 * Anything else is a TemplateProblem naming the construct.
 */

/** Why a template cannot be rendered; `construct` is the part of it at fault. */
export class TemplateProblem extends Error {
  constructor(
    message: string,
    readonly construct: string,
  ) {
    super(message);
    this.name = 'TemplateProblem';
  }
}

/** The state of each render in progress, innermost last (a variable's template renders inside the one reading it). */
const renders: { lookup: (name: string) => unknown; problem?: Error; secret: boolean }[] = [];

/**
 * Throws `problem`, recorded on the innermost render first: nunjucks turns
 * what a filter or lookup throws into an error of its own, keeping only the message.
 */
function raise(problem: Error): never {
  const render = renders.at(-1);
  if (render) render.problem ??= problem;
  throw problem;
}

/** What `lookup` answers for a name no variable has. */
export const MISSING: unique symbol = Symbol('missing');

/** A variable of the host being rendered (itself rendered), or MISSING. May throw a TemplateProblem. */
export type Lookup = (name: string) => unknown;

export interface Rendered {
  readonly value: unknown;
  /** A Secret's text went into the value. */
  readonly secret: boolean;
}

/** Whether Ansible would template `text` (it holds a Jinja block start). */
export function isTemplate(text: string): boolean {
  return /\{\{|\{%|\{#/.test(text);
}

/**
 * Facts Ansible gathers on the host at play time: a template reading one asks
 * for something an inventory does not hold. Connection and magic variables
 * named ansible_* are not facts.
 */
const NOT_FACTS = /^ansible_(host|port|user|connection|password|ssh_.*|become.*|private_key_file|.*_interpreter|shell_.*|timeout|host_key_checking|pipelining|remote_tmp|group_priority)$/;
const PLAY_TIME = new Set(['play_hosts', 'ansible_play_hosts', 'ansible_play_hosts_all', 'ansible_play_batch', 'ansible_play_name', 'role_name', 'role_path', 'playbook_dir', 'ansible_check_mode', 'ansible_limit', 'ansible_run_tags', 'ansible_skip_tags', 'omit']);
const FUNCTIONS = new Set(['lookup', 'query', 'q', 'now', 'undef']);

/** A name or attribute no variable has (Jinja's Undefined): only `default` and `is defined` may look at it. */
class Undefined {
  constructor(readonly name: string) {}
  [Symbol.toPrimitive](): never {
    raise(undefinedVariable(this));
  }
}

function undefinedVariable(value: Undefined): TemplateProblem {
  return new TemplateProblem(`'${value.name}' is undefined`, value.name);
}

function defined(value: unknown): boolean {
  return !(value instanceof Undefined) && value !== undefined;
}

/** A filter's input must be a value: an undefined one fails there, as in Jinja. */
function need(value: unknown): unknown {
  if (value instanceof Undefined) throw undefinedVariable(value);
  return plain(value);
}

/** A Secret read by a template is its text there, and the template's result a Secret. */
function plain(value: unknown): unknown {
  if (!isSecret(value)) return value;
  const render = renders.at(-1);
  if (render) render.secret = true;
  return value.reveal();
}

// ---- Python's str() and repr() of the values a template yields (Ansible turns every result into text first).

export function pyStr(value: unknown): string {
  if (isSecret(value)) return pyStr(plain(value));
  return typeof value === 'string' ? value : pyRepr(value);
}

function pyRepr(value: unknown): string {
  if (value instanceof Undefined) throw undefinedVariable(value);
  if (isSecret(value)) return pyRepr(plain(value));
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? pyNumber(value) : String(value);
  if (typeof value === 'string') return pyQuote(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${pyQuote(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

function pyQuote(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = [...text]
    .map((c) => {
      if (c === '\\') return '\\\\';
      if (c === quote) return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      const code = c.codePointAt(0)!;
      return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return `${quote}${body}${quote}`;
}

/**
 * ansible-core 2.14's ansible_eval_concat: the rendered text, turned back
 * into a list, dict or boolean when it spells one as a Python literal; every
 * other result (numbers too) stays text.
 */
export function nativeValue(text: string): unknown {
  if (!(text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False')) return text;
  try {
    return parseIniValue(text);
  } catch (error) {
    if (error instanceof UnsupportedLiteral) return text;
    throw error;
  }
}

// ---- Ansible's filters (ansible.builtin and the Jinja ones it relies on).

const TRUE_STRINGS = new Set(['yes', 'on', '1', 'true']);

function len(value: unknown): number {
  const v = need(value);
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  throw new TemplateProblem(`length of ${pyRepr(v)}: it has no length`, 'length');
}

function sequence(value: unknown, filter: string): unknown[] | string {
  const v = need(value);
  if (typeof v === 'string' || Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') return Object.keys(v);
  throw new TemplateProblem(`${filter} of ${pyRepr(v)}: not a list or string`, filter);
}

function toInt(value: unknown, fallback = 0, base = 10): number {
  const v = need(value);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.trunc(v);
  const text = pyStr(v).trim().replace(/_/g, '');
  const digits = base === 16 ? /^[+-]?(0x)?[0-9a-f]+$/i : base === 8 ? /^[+-]?(0o)?[0-7]+$/i : base === 2 ? /^[+-]?(0b)?[01]+$/i : /^[+-]?\d+$/;
  if (digits.test(text)) return parseInt(text.replace(/^([+-]?)0[xob]/i, '$1'), base);
  const float = Number(text);
  return text !== '' && Number.isFinite(float) ? Math.trunc(float) : fallback;
}

function toBool(value: unknown): boolean | null {
  const v = need(value);
  if (v === null || typeof v === 'boolean') return v;
  const text = typeof v === 'string' ? v.toLowerCase() : v;
  return TRUE_STRINGS.has(text as string) || text === 1;
}

function text(value: unknown, filter: string): string {
  const v = need(value);
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && v !== null) {
    throw new TemplateProblem(`${filter} of ${pyRepr(v)}: not a string`, filter);
  }
  return pyStr(v);
}

/** Python `re` to JavaScript: named groups (?P<n>…) and replacement backreferences \1, \g<n>. */
function regexReplace(value: unknown, pattern = '', replacement = '', ignorecase = false, multiline = false): string {
  const source = String(need(pattern)).replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  let regex: RegExp;
  try {
    regex = new RegExp(source, `g${ignorecase ? 'i' : ''}${multiline ? 'm' : ''}u`);
  } catch (error) {
    throw new TemplateProblem(`regex_replace: bad regular expression ${pyQuote(String(pattern))}: ${(error as Error).message}`, 'regex_replace');
  }
  const jsReplacement = String(need(replacement))
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\w+)>/g, (_, name: string) => (/^\d+$/.test(name) ? `$${name}` : `$<${name}>`))
    .replace(/\\(\d{1,2})/g, '$$$1')
    .replace(/\\n/g, '\n')
    .replace(/\\\\/g, '\\');
  return text(value, 'regex_replace').replace(regex, jsReplacement);
}

/** ansible.utils.ipaddr's cheap queries: '' (the value if it is an address or network), address, network, prefix, netmask. */
function ipaddrFilter(value: unknown, query = ''): unknown {
  const v = need(value);
  if (typeof v !== 'string') return false;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (v.includes('/')) [address, prefix] = ipaddr.parseCIDR(v);
    else {
      address = ipaddr.parse(v);
      prefix = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    return false;
  }
  switch (query) {
    case '':
      return v;
    case 'address':
      return address.toString();
    case 'network':
      return ipaddr.fromByteArray(networkBytes(address, prefix)).toString();
    case 'prefix':
      return prefix;
    case 'netmask':
      return ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString();
    default:
      throw new TemplateProblem(`ipaddr('${query}') is not supported (only address, network, prefix, netmask)`, `ipaddr('${query}')`);
  }
}

function networkBytes(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): number[] {
  return address.toByteArray().map((byte, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return byte & (0xff << (8 - bits)) & 0xff;
  });
}

const FILTERS: Record<string, (...args: never[]) => unknown> = {
  default: (value: unknown, fallback: unknown = '', boolean = false) =>
    !defined(value) || (boolean && !truthy(value)) ? fallback : value,
  lower: (value: unknown) => text(value, 'lower').toLowerCase(),
  upper: (value: unknown) => text(value, 'upper').toUpperCase(),
  join: (value: unknown, separator = '') => [...sequence(value, 'join')].map((item) => pyStr(need(item))).join(separator),
  length: len,
  first: (value: unknown) => sequence(value, 'first')[0],
  last: (value: unknown) => sequence(value, 'last').at(-1),
  int: toInt,
  bool: toBool,
  string: (value: unknown) => pyStr(need(value)),
  trim: (value: unknown) => text(value, 'trim').trim(),
  replace: (value: unknown, old: string, replacement: string, count?: number) => {
    const parts = text(value, 'replace').split(String(old));
    if (count === undefined || count < 0) return parts.join(String(replacement));
    return parts.slice(0, count + 1).join(String(replacement)) + (parts.length > count + 1 ? String(old) + parts.slice(count + 1).join(String(old)) : '');
  },
  regex_replace: regexReplace,
  ipaddr: ipaddrFilter,
};
const ALIASES: Record<string, string> = {
  d: 'default',
  count: 'length',
  'ansible.builtin.default': 'default',
  'ansible.builtin.bool': 'bool',
  'ansible.builtin.regex_replace': 'regex_replace',
  'ansible.utils.ipaddr': 'ipaddr',
  'ansible.netcommon.ipaddr': 'ipaddr',
};

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

// ---- The engine.

function recorded(f: (...args: never[]) => unknown): (...args: unknown[]) => unknown {
  return (...args) => {
    try {
      return (f as (...args: unknown[]) => unknown)(...args);
    } catch (error) {
      return raise(error as Error);
    }
  };
}

/**
 * The nunjucks environment, made when the first template compiles (loaded
 * synchronously, CommonJS: rendering is synchronous), so an inventory
 * without templates never loads nunjucks.
 */
let loaded: { env: nunjucks.Environment; Template: typeof nunjucks.Template } | undefined;

function engine(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const nj = createRequire(import.meta.url)('nunjucks') as typeof nunjucks;
  const made = new nj.Environment(null, { autoescape: false, throwOnUndefined: false });
  patchRuntime(nj.runtime);
  const internal = made as unknown as {
    filters: Record<string, unknown>;
    globals: Record<string, unknown>;
    addTest(name: string, test: (value: unknown) => boolean): void;
  };
  for (const name of Object.keys(internal.filters)) delete internal.filters[name];
  for (const name of Object.keys(internal.globals)) delete internal.globals[name];
  for (const [name, filter] of Object.entries(FILTERS)) made.addFilter(name, recorded(filter));
  for (const [alias, name] of Object.entries(ALIASES)) made.addFilter(alias, recorded(FILTERS[name]!));
  internal.addTest('defined', defined);
  internal.addTest('undefined', (value: unknown) => !defined(value));
  internal.addTest('none', (value: unknown) => value === null);
  internal.addTest('string', (value) => recorded(() => typeof need(value) === 'string')() as boolean);
  internal.addTest('number', (value) => recorded(() => typeof need(value) === 'number')() as boolean);
  return (loaded = { env: made, Template: nj.Template });
}

/*
 * nunjucks looks members up, and prints values, through its runtime; Jinja
 * (and so Ansible) differs: a missing member is Undefined (not JavaScript's
 * undefined, printed as ''), and a value prints as Python's str() of it.
 */
function patchRuntime(nunjucksRuntime: typeof nunjucks.runtime): void {
  const runtime = nunjucksRuntime as unknown as {
    memberLookup(obj: unknown, key: unknown): unknown;
    suppressValue(value: unknown, autoescape: boolean): unknown;
    contextOrFrameLookup(context: unknown, frame: { lookup(name: string): unknown }, name: string): unknown;
  };
  runtime.contextOrFrameLookup = (_context, frame, name) => {
    const local = frame.lookup(name);
    return local !== undefined ? local : renders.at(-1)!.lookup(name);
  };
  runtime.memberLookup = recorded(memberLookup);
  runtime.suppressValue = recorded((value: unknown) => pyStr(value));
}

/*
 * Only data is reachable: a key of a mapping, an item of a list or a
 * character of a string. Never a JavaScript property or method (nunjucks
 * would bind "".constructor.constructor, which is Function: code execution
 * from an inventory value); Python's methods are not JavaScript's anyway.
 */
function memberLookup(obj: unknown, key: unknown): unknown {
  const name = String(key);
  if (obj instanceof Undefined) return new Undefined(`${obj.name}.${name}`);
  if (obj === null || obj === undefined) return new Undefined(`None.${name}`);
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) return new Undefined(`${pyRepr(obj).slice(0, 40)}.${name}`);
    if (key >= obj.length || key < -obj.length) throw new TemplateProblem(`index ${key} out of range`, `[${key}]`);
    return plain(obj[key < 0 ? obj.length + key : key]);
  }
  if (typeof obj === 'object' && !isSecret(obj) && Object.hasOwn(obj, name)) return plain((obj as Record<string, unknown>)[name]);
  return new Undefined(name);
}

function scope(lookup: Lookup): (name: string) => unknown {
  return (name) => {
    let value: unknown;
    try {
      value = lookup(name);
    } catch (error) {
      return raise(error as Error);
    }
    if (value !== MISSING) return plain(value);
    if (name === 'ansible_facts' || (name.startsWith('ansible_') && !NOT_FACTS.test(name))) {
      return raise(
        new TemplateProblem(
          `'${name}' is a fact, gathered from the host at play time: facts are not inventory, so an inventory value cannot use them`,
          name,
        ),
      );
    }
    if (PLAY_TIME.has(name)) return raise(new TemplateProblem(`'${name}' exists only while a play runs, not in the inventory`, name));
    if (FUNCTIONS.has(name)) {
      return raise(new TemplateProblem(`${name}() is not supported in inventory values (labwright renders no lookups)`, `${name}()`));
    }
    return new Undefined(name);
  };
}

/** Compiled templates by text: a group's template renders for each of its hosts. */
const templates = new Map<string, nunjucks.Template>();

function compiled(template: string): nunjucks.Template {
  let found = templates.get(template);
  if (!found) {
    const { env, Template } = engine();
    found = new Template(template, env, undefined, true);
    templates.set(template, found);
  }
  return found;
}

/**
 * `template` rendered for one host: the text Jinja makes of it, turned into
 * a list, dict or boolean as ansible-core does (nativeValue). Throws a
 * TemplateProblem for an undefined variable, a fact, an unsupported filter,
 * test, function or syntax.
 */
export function renderTemplate(template: string, lookup: Lookup): Rendered {
  const state: (typeof renders)[number] = { secret: false, lookup: () => undefined };
  state.lookup = scope(lookup);
  renders.push(state);
  try {
    const text = compiled(template).render({});
    return { value: nativeValue(text), secret: state.secret };
  } catch (error) {
    if (state.problem) throw state.problem;
    throw unsupported(error as Error);
  } finally {
    renders.pop();
  }
}

/** A nunjucks error as the construct at fault: "filter not found: to_yaml" is the filter to_yaml. */
function unsupported(error: Error): TemplateProblem {
  const message = error.message.replace(/^\(unknown path\)\s*(\[Line \d+, Column \d+\])?\s*/, '').replace(/^\s*Error:\s*/, '').trim();
  const filter = /filter not found: (\S+)/.exec(message);
  if (filter) return new TemplateProblem(`filter '${filter[1]}' is not supported`, `| ${filter[1]}`);
  const test = /test not found: (\S+)/.exec(message);
  if (test) return new TemplateProblem(`test '${test[1]}' is not supported`, `is ${test[1]}`);
  const call = /Unable to call `([^`]+)`/.exec(message);
  if (call) return new TemplateProblem(`${call[1]}() is not supported`, `${call[1]}()`);
  return new TemplateProblem(`unsupported or invalid template: ${message}`, message);
}

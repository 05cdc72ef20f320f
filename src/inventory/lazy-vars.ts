import { isSecret, secret } from '../secret.js';
import { isTemplate, MISSING, renderTemplate, TemplateProblem } from './jinja.js';
import type { Located, VarLayer } from './merge.js';
import type { Host, Vars } from './types.js';
import { VarsError } from './vars-check.js';

/*
 * Host variables whose Jinja templates render when they are read, as Ansible
 * does: a variable no one reads is never rendered, so a broken template in
 * it never fails a run. A variable renders once per host (then it is kept),
 * in the host's context: its other variables (rendered in turn),
 * inventory_hostname(_short), groups, group_names and hostvars.
 */

/** What a host's templates can see beyond its own variables. */
export interface TemplateWorld {
  readonly hosts: ReadonlyMap<string, Host>;
  /** Ansible's `groups`: every group with its hosts, in inventory order. */
  groups(): Record<string, readonly string[]>;
}

/**
 * A template of `host` that cannot be rendered: one line naming the key, the
 * template, the problem and construct, and where the variable was set. A
 * VarsError, so the same template failing on many hosts is told once.
 */
export class TemplateError extends VarsError {
  constructor(host: string, problem: string) {
    super(host, [problem]);
    this.name = 'TemplateError';
  }
}

const raws = new WeakMap<object, Vars>();

/** The variables as written, templates unrendered (for `labwright inventory`, as `ansible-inventory`). */
export function rawVars(vars: Vars): Vars {
  return raws.get(vars) ?? vars;
}

/** The variables being rendered now, outermost first ("host\0key"): one met again is a loop. */
const rendering: { host: string; key: string }[] = [];

/**
 * `raw` (the merged variables of `host`, `located` where each was set) as an
 * object whose properties render their templates when read.
 */
export function lazyVars(host: string, raw: Vars, located: ReadonlyMap<string, Located>, world: TemplateWorld): Vars {
  const rendered = new Map<string, unknown>();
  const read = (key: string): unknown => {
    if (rendered.has(key)) return rendered.get(key);
    const loop = rendering.findIndex((r) => r.host === host && r.key === key);
    if (loop >= 0) {
      const chain = [...rendering.slice(loop), { host, key }].map((r) => (r.host === host ? r.key : `hostvars['${r.host}'].${r.key}`));
      throw new TemplateProblem(`the variables refer to each other in a loop: ${chain.join(' → ')}`, chain.join(' → '));
    }
    rendering.push({ host, key });
    try {
      const value = renderVar(host, key, raw[key], located.get(key), world);
      rendered.set(key, value);
      return value;
    } finally {
      rendering.pop();
    }
  };
  const vars = new Proxy(raw, {
    get: (target, key, receiver) =>
      typeof key === 'string' && Object.hasOwn(target, key) ? read(key) : Reflect.get(target, key, receiver),
    set: (target, key, value) => {
      if (typeof key === 'string') rendered.delete(key);
      return Reflect.set(target, key, value);
    },
    deleteProperty: (target, key) => {
      if (typeof key === 'string') rendered.delete(key);
      return Reflect.deleteProperty(target, key);
    },
  });
  raws.set(vars, raw);
  return vars;
}

/** The variables a template of `host` sees: magic variables first (inventory cannot override them), then its own. */
function lookupFor(host: string, world: TemplateWorld): (name: string) => unknown {
  return (name) => {
    switch (name) {
      case 'inventory_hostname':
        return host;
      case 'inventory_hostname_short':
        return host.split('.')[0];
      case 'groups':
        return world.groups();
      case 'group_names':
        return groupNames(host, world);
      case 'hostvars':
        return hostvars(world);
    }
    const vars = world.hosts.get(host)?.vars;
    if (vars && Object.hasOwn(vars, name)) return vars[name];
    // In a task, Ansible's connection sets ansible_host to the host's name when the inventory does not.
    return name === 'ansible_host' ? host : MISSING;
  };
}

/** Ansible's group_names: the host's groups but `all`, sorted. */
function groupNames(host: string, world: TemplateWorld): string[] {
  return Object.entries(world.groups())
    .filter(([group, hosts]) => group !== 'all' && hosts.includes(host))
    .map(([group]) => group)
    .sort();
}

const hostvarsOf = new WeakMap<TemplateWorld, Record<string, unknown>>();

/** hostvars: each host's variables, magic ones included, rendered as read (made once per inventory). */
function hostvars(world: TemplateWorld): Record<string, unknown> {
  const made = hostvarsOf.get(world);
  if (made) return made;
  const all: Record<string, unknown> = {};
  hostvarsOf.set(world, all);
  for (const name of world.hosts.keys()) {
    const lookup = lookupFor(name, world);
    const vars = world.hosts.get(name)!.vars;
    const keys = ['inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', ...Object.keys(rawVars(vars))];
    all[name] = new Proxy(
      {},
      {
        has: (_, key) => typeof key === 'string' && keys.includes(key),
        ownKeys: () => keys,
        getOwnPropertyDescriptor: (_, key) =>
          typeof key === 'string' && keys.includes(key) ? { enumerable: true, configurable: true, value: lookup(key) } : undefined,
        get: (_, key) => (typeof key === 'string' && keys.includes(key) ? lookup(key) : undefined),
      },
    );
  }
  return all;
}

/** The value of variable `key` of `host`, every template in it rendered (none: the value itself). */
function renderVar(host: string, key: string, value: unknown, located: Located | undefined, world: TemplateWorld): unknown {
  const lookup = lookupFor(host, world);
  const walk = (item: unknown, path: PropertyKey[]): unknown => {
    if (typeof item === 'string') {
      if (!isTemplate(item) || located?.unsafe?.(path)) return item;
      let rendered;
      try {
        rendered = renderTemplate(item, lookup);
      } catch (error) {
        if (error instanceof TemplateProblem) throw located ? templateError(host, key, path, item, error, located) : error;
        if (error instanceof TemplateError && located) throw neededBy(error, host, key, path, located);
        throw error;
      }
      if (!rendered.secret) return rendered.value;
      try {
        return secretValue(rendered.value);
      } catch (error) {
        throw new TemplateError(host, `${keyPath(key, path)}: ${(error as Error).message} (set at ${where(located, path)})`);
      }
    }
    if (Array.isArray(item)) {
      const items = item.map((entry, i) => walk(entry, [...path, i]));
      return items.every((entry, i) => entry === item[i]) ? item : items;
    }
    if (item !== null && typeof item === 'object' && !isSecret(item) && Object.getPrototypeOf(item) === Object.prototype) {
      const entries = Object.entries(item).map(([k, v]) => [k, walk(v, [...path, k])] as const);
      return entries.every(([k, v]) => v === (item as Record<string, unknown>)[k]) ? item : Object.fromEntries(entries);
    }
    return item;
  };
  return walk(value, []);
}

/** A value made from a Secret: its text is a Secret too. */
function secretValue(value: unknown): unknown {
  if (typeof value === 'string') return secret(value);
  if (Array.isArray(value)) return value.map(secretValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretValue(v)]));
  return value;
}

function where(located: Located | undefined, path: readonly PropertyKey[]): string {
  return (path.length > 0 ? located?.locate?.(path) : undefined) ?? located?.origin.location ?? 'inventory';
}

function keyPath(key: string, path: readonly PropertyKey[]): string {
  return [key, ...path.map(String)].join('.');
}

function templateError(host: string, key: string, path: readonly PropertyKey[], template: string, problem: TemplateProblem, located: Located): TemplateError {
  const what = `cannot render ${JSON.stringify(template)}: ${problem.message} (at ${problem.construct})`;
  return new TemplateError(host, `${keyPath(key, path)}: ${what} (set at ${where(located, path)})`);
}

/** The error of a variable that a template of `key` reads, told from `key`. */
function neededBy(error: TemplateError, host: string, key: string, path: readonly PropertyKey[], located: Located): TemplateError {
  const inner = `${error.host === host ? '' : `hostvars['${error.host}'].`}${error.problems[0]}`;
  return new TemplateError(host, `${inner}, needed by ${keyPath(key, path)} (set at ${where(located, path)})`);
}

/** The variables that give connection settings (Ansible's ansible_* and labwright's aliases, see connection.ts). */
const CONNECTION_VAR =
  /^(ansible_\w+|connection|address|port|user|key_file|become|host_key_checking|known_hosts_file|connect_timeout|labwright_command_timeout)$/;

/**
 * `layers` (a host's variable sources) with the templates of the connection
 * settings that win rendered from `vars` (the host's lazy variables). The
 * connection of every host is resolved when the inventory loads, so these
 * templates render then; all other variables stay lazy.
 */
export function renderedConnectionLayers(layers: readonly VarLayer[], vars: Vars): VarLayer[] {
  const raw = rawVars(vars);
  return layers.map((layer) => {
    const templated = [...layer].filter(
      ([key, { value }]) => CONNECTION_VAR.test(key) && typeof value === 'string' && isTemplate(value) && raw[key] === value,
    );
    if (templated.length === 0) return layer;
    const rendered = new Map(layer);
    for (const [key, located] of templated) rendered.set(key, { ...located, value: vars[key] });
    return rendered;
  });
}

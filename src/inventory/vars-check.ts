import type { z } from 'zod';
import { ParseError } from '../errors.js';
import { describe } from './describe.js';
import { closest } from './suggest.js';
import type { Host } from './types.js';

/**
 * Bad vars of one host: `problems` are lines without the host ("base.packges:
 * unknown key (did you mean packages?) (set at group_vars/all.yaml:2:3)"), so
 * that the same mistake of many hosts can be told once (combineErrors).
 */
export class VarsError extends ParseError {
  constructor(
    readonly host: string,
    readonly problems: readonly string[],
    readonly title?: string,
  ) {
    super(formatProblems(problems.map((problem) => ({ title, problem, hosts: [host] }))));
    this.name = 'VarsError';
  }
}

/**
 * `input`, the var `key` of `host` (merged with defaults and play params),
 * checked by `schema`; else a VarsError (titled `title`) with one line per
 * problem: the key path, what is wrong (an unknown key with the closest known
 * one: "did you mean upstream?"), what was found, and the file:line:col it
 * was written at.
 */
export function parseVars<T>(schema: z.ZodType<T>, input: unknown, host: Host, key: string, title?: string): T {
  const knownKeys = new Map<string, string[]>();
  const parsed = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') knownKeys.set(pathKey(issue.path ?? []), shapeKeys(issue.inst));
      return undefined;
    },
  });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') {
      const found = valueAt(input, issue.path);
      return [line(host, [key, ...issue.path], `${issue.message}${found === undefined ? '' : `, got ${shown(found)}`}`)];
    }
    const known = knownKeys.get(pathKey(issue.path)) ?? [];
    return issue.keys.map((unknown) => line(host, [key, ...issue.path, unknown], unknownKey(unknown, known)));
  });
  throw new VarsError(host.name, problems, title);
}

/**
 * Errors met resolving the vars of many hosts, as one ParseError: a problem
 * several hosts share (a typo in group_vars/all) is one line naming them all.
 */
export function combineErrors(errors: readonly Error[]): ParseError {
  const groups = new Map<string, Group>();
  const others = new Set<string>();
  for (const error of errors) {
    if (!(error instanceof VarsError)) {
      others.add(error.message);
      continue;
    }
    for (const problem of error.problems) {
      const key = `${error.title ?? ''}\0${problem}`;
      const group = groups.get(key) ?? { title: error.title, problem, hosts: [] };
      if (!group.hosts.includes(error.host)) group.hosts.push(error.host);
      groups.set(key, group);
    }
  }
  return new ParseError([...(groups.size > 0 ? [formatProblems([...groups.values()])] : []), ...others].join('\n'));
}

interface Group {
  title?: string;
  problem: string;
  hosts: string[];
}

const HOSTS_SHOWN = 5;

/** Each title once, then its problems, each after the hosts it concerns. */
function formatProblems(groups: readonly Group[]): string {
  const titles = [...new Set(groups.map((g) => g.title))];
  return titles
    .map((title) => {
      const lines = groups.filter((g) => g.title === title).map((g) => `${hostsLabel(g.hosts)}: ${g.problem}`);
      return title === undefined ? lines.join('\n') : `${title}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
    })
    .join('\n');
}

function hostsLabel(hosts: readonly string[]): string {
  if (hosts.length === 1) return `host ${hosts[0]}`;
  const shown = hosts.slice(0, HOSTS_SHOWN).join(', ');
  return `hosts ${shown}${hosts.length > HOSTS_SHOWN ? ` and ${hosts.length - HOSTS_SHOWN} more` : ''}`;
}

function unknownKey(unknown: string, known: readonly string[]): string {
  const suggestion = closest(unknown, known);
  if (suggestion) return `unknown key (did you mean ${suggestion}?)`;
  return known.length > 0 ? `unknown key (known keys: ${known.join(', ')})` : 'unknown key';
}

function line(host: Host, path: readonly PropertyKey[], message: string): string {
  const origin = host.origin?.(path);
  return `${path.map(String).join('.')}: ${message}${origin ? ` (set at ${origin})` : ''}`;
}

/** The keys of the object schema that reported unknown keys (zod passes it to the error map). */
function shapeKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

/** A found value for "got …": JSON (a Secret shows as its mask), cut short; a mapping that contains itself by name. */
function shown(found: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(found) ?? String(found);
  } catch {
    text = describe(found);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

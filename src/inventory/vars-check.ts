import type { z } from 'zod';
import { describe } from './describe.js';
import { closest } from './suggest.js';
import type { Host } from './types.js';

export type VarsCheck<T> = { ok: true; data: T } | { ok: false; problems: string[] };

/**
 * `input`, the var `key` of `host` (merged with defaults and play params),
 * checked by `schema`. Each problem is one line for a human: the host, the key
 * path, what is wrong (an unknown key with the closest known one: "did you
 * mean upstream?"), what was found, and the file:line:col it was written at.
 */
export function checkVars<T>(schema: z.ZodType<T>, input: unknown, host: Host, key: string): VarsCheck<T> {
  const knownKeys = new Map<string, string[]>();
  const parsed = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') knownKeys.set(pathKey(issue.path ?? []), shapeKeys(issue.inst));
      return undefined;
    },
  });
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') {
      const found = valueAt(input, issue.path);
      return [line(host, [key, ...issue.path], `${issue.message}${found === undefined ? '' : `, got ${shown(found)}`}`)];
    }
    const known = knownKeys.get(pathKey(issue.path)) ?? [];
    return issue.keys.map((unknown) => line(host, [key, ...issue.path, unknown], unknownKey(unknown, known)));
  });
  return { ok: false, problems };
}

function unknownKey(unknown: string, known: readonly string[]): string {
  const suggestion = closest(unknown, known);
  if (suggestion) return `unknown key (did you mean ${suggestion}?)`;
  return known.length > 0 ? `unknown key (known keys: ${known.join(', ')})` : 'unknown key';
}

function line(host: Host, path: readonly PropertyKey[], message: string): string {
  const origin = host.origin?.(path);
  return `host ${host.name}: ${path.map(String).join('.')}: ${message}${origin ? ` (set at ${origin})` : ''}`;
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

/**
 * Every object a role's vars (or the shared `lan` and `cluster` vars) can
 * hold refuses a key it does not know: a typo is an error, never a setting
 * silently dropped. The schemas are walked generically (objects, lists, maps,
 * unions, optional and default values, pipes), a sample is built down to each
 * object and an unknown key injected there.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { rolesWithDocs } from '../scripts/role-docs-lib.js';
import { clusterSchema } from '../src/net/cluster.js';
import { lanSchema } from '../src/net/lan.js';

const UNKNOWN = 'zz_not_a_known_key';

/** Values tried, in order, for a leaf: the first its schema accepts is its sample. */
const LEAVES: unknown[] = [
  '10.0.0.10',
  '10.0.0.0/24',
  '10.0.0.10/24',
  'eth0',
  '02:00:00:00:00:01',
  'abc',
  'example.com',
  'v3.29.3',
  '1.32.2',
  '/etc/labwright',
  'https://example.com/manifest.yaml',
  '10.0.0.10:6443',
  'a'.repeat(64),
  1,
  24,
  100,
  1000,
  64512,
  true,
  [],
  {},
];

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
  entries?: Record<string, unknown>;
  values?: unknown[];
}

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as Def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
const isOptional = (schema: z.ZodType) => ['optional', 'default', 'prefault'].includes(defOf(schema).type);

/** A value `schema` accepts where a leaf can be guessed (objects: their required keys only). */
function sample(schema: z.ZodType): unknown {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return sample(def.innerType!);
  switch (def.type) {
    case 'pipe':
      return sample(def.in!);
    case 'lazy':
      return sample(def.getter!());
    case 'object':
      return Object.fromEntries(Object.entries(def.shape!).filter(([, s]) => !isOptional(s)).map(([k, s]) => [k, sample(s)]));
    case 'array':
      return [sample(def.element!)];
    case 'record':
      return {};
    case 'enum':
      return Object.values(def.entries!)[0];
    case 'literal':
      return def.values![0];
    case 'union':
      return def.options!.map(sample).find((v) => v !== undefined);
    default:
      return LEAVES.find((v) => schema.safeParse(v).success);
  }
}

function recordKey(keyType: z.ZodType): string {
  return (['eth0', 'example.com', 'abc', 'home'] as const).find((k) => keyType.safeParse(k).success) ?? 'abc';
}

interface Level {
  /** Where the object sits: "routes[]", "interfaces.<name>". */
  label: string;
  /** The zod path of the object inside the input. */
  path: PropertyKey[];
  /** The whole input with the unknown key injected into that object. */
  input: unknown;
}

/** Every object schema reachable in `schema`, with an input carrying an unknown key in it. */
function* levels(schema: z.ZodType, label: string, path: PropertyKey[], wrap: (v: unknown) => unknown, depth = 0): Generator<Level> {
  if (depth > 20) return;
  const def = defOf(schema);
  const inner = (s: z.ZodType, l = label, p = path, w = wrap) => levels(s, l, p, w, depth + 1);
  if (WRAPPERS.has(def.type)) return yield* inner(def.innerType!);
  switch (def.type) {
    case 'pipe':
      return yield* inner(def.in!);
    case 'lazy':
      return yield* inner(def.getter!());
    case 'intersection':
      yield* inner(def.left!);
      return yield* inner(def.right!);
    case 'union':
      for (const option of def.options!) yield* inner(option);
      return;
    case 'array':
      return yield* inner(def.element!, `${label}[]`, [...path, 0], (v) => wrap([v]));
    case 'record': {
      const key = recordKey(def.keyType!);
      return yield* inner(def.valueType!, `${label}.<name>`, [...path, key], (v) => wrap({ [key]: v }));
    }
    case 'object': {
      const base = sample(schema) as Record<string, unknown>;
      yield { label: label || '(top level)', path, input: wrap({ ...base, [UNKNOWN]: 'x' }) };
      for (const [key, child] of Object.entries(def.shape!)) {
        yield* inner(child, label ? `${label}.${key}` : key, [...path, key], (v) => wrap({ ...base, [key]: v }));
      }
    }
  }
}

interface Issue {
  code: string;
  path: PropertyKey[];
  keys?: string[];
  errors?: Issue[][];
}

/** The issues of a failed parse, those inside union alternatives included (with their full path). */
function allIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue) => {
    const full = { ...issue, path: [...prefix, ...issue.path] };
    return [full, ...(issue.errors ?? []).flatMap((alternative) => allIssues(alternative, full.path))];
  });
}

function refusesUnknownKey(schema: z.ZodType, level: Level): boolean {
  const result = schema.safeParse(level.input);
  if (result.success) return false;
  return allIssues(result.error.issues as unknown as Issue[]).some(
    (i) => i.code === 'unrecognized_keys' && i.keys!.includes(UNKNOWN) && JSON.stringify(i.path) === JSON.stringify(level.path),
  );
}

const schemas: [string, z.ZodType][] = [
  ...(await rolesWithDocs()).map(({ role }) => [role.varsKey, role.vars] as [string, z.ZodType]),
  ['lan', lanSchema],
  ['cluster', clusterSchema],
];
const cases = schemas.flatMap(([key, schema]) => [...levels(schema, '', [], (v) => v)].map((level) => ({ key, schema, level })));

describe('vars schemas refuse unknown keys at every nesting level', () => {
  it('the walk reaches every role and the nested objects the issue names', () => {
    const labels = cases.map(({ key, level }) => `${key}: ${level.label}`);
    for (const [key] of schemas) expect(labels).toContain(`${key}: (top level)`);
    expect(labels).toEqual(
      expect.arrayContaining(['networking: interfaces.<name>', 'networking: bridges.<name>', 'static_routes: routes[]', 'dnsmasq: reservations[]', 'dnsmasq: range']),
    );
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases.map((c) => [`${c.key}: ${c.level.label}`, c] as const))('%s', (_, { schema, level }) => {
    expect(refusesUnknownKey(schema, level)).toBe(true);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import ipaddr from 'ipaddr.js';
import { parseAllDocuments } from 'yaml';

/**
 * Validates generated Kubernetes objects against the upstream CRDs'
 * `spec.versions[].schema.openAPIV3Schema`, the way the API server and
 * kubectl would, as far as JSON Schema goes:
 *
 * - unknown fields are errors (kubectl's default `--validate=strict`; the
 *   schemas themselves would let the API server silently prune them), except
 *   under `x-kubernetes-preserve-unknown-fields`;
 * - `x-kubernetes-int-or-string`, `x-kubernetes-list-type: set|map` (with
 *   `x-kubernetes-list-map-keys`) and `format: cidr` are checked;
 * - `format: int32/int64` only mean "integer" (the API server does not
 *   range-check them; Calico keeps 4-byte AS numbers in an int32 field);
 * - patterns are Go regular expressions (a leading `(?i)` is honoured);
 * - CEL rules (`x-kubernetes-validations`) cannot be evaluated here: they
 *   are counted for each object so the report says so, and the roles
 *   enforce the ones that matter in their own checks;
 * - apiVersion/kind must name a served version, and the name/namespace must
 *   fit the CRD's scope.
 */

/** ../shared/reference/crds from the repository root (present for developers and CI, not in a user's clone). */
export const DEFAULT_CRD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/crds');

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
}

interface Crd {
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: { group: string; names: { kind: string }; scope: 'Namespaced' | 'Cluster'; versions: CrdVersion[] };
}

export interface Verdict {
  ok: boolean;
  /** "crd.projectcalico.org/v1 BGPPeer (bgppeers.crd.projectcalico.org)" */
  schema?: string;
  errors: string[];
  /** CEL rules on the fields the object sets, which JSON Schema cannot evaluate. */
  celRules: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unknown fields rejected wherever the schema lists properties and does not keep unknown fields. */
export function strictFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictFields);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    // `properties` maps field names to schemas: recurse into the schemas, not the names
    out[k] = k === 'properties' && isObject(v) ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictFields(s)])) : strictFields(v);
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** CEL rules along the fields `data` sets. */
export function celRulesOn(schema: unknown, data: unknown): number {
  if (!isObject(schema) || data === undefined) return 0;
  let n = Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'].length : 0;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) for (const s of schema[key]) n += celRulesOn(s, data);
  }
  if (isObject(schema.properties) && isObject(data)) {
    for (const [k, v] of Object.entries(data)) n += celRulesOn(schema.properties[k], v);
  }
  if (isObject(schema.items) && Array.isArray(data)) for (const item of data) n += celRulesOn(schema.items, item);
  return n;
}

/**
 * CRD patterns are Go regular expressions: a leading `(?i)` (Calico's log
 * severities) becomes JavaScript's `i` flag.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  const m = /^(\^?)\(\?i\)/.exec(pattern);
  return m ? new RegExp(m[1] + pattern.slice(m[0].length), `${flags}i`) : new RegExp(pattern, flags);
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp as never } });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('cidr', { type: 'string', validate: (s: string) => ipaddr.isValidCIDR(s) });
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    validate: (on: boolean, data: unknown) => !on || Number.isInteger(data) || typeof data === 'string',
    errors: false,
  });
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    schemaType: 'string',
    compile(listType: string, parent: Json) {
      const keys = Array.isArray(parent['x-kubernetes-list-map-keys']) ? (parent['x-kubernetes-list-map-keys'] as string[]) : [];
      return (data: unknown) => {
        if (!Array.isArray(data) || listType === 'atomic') return true;
        const ids = data.map((item) => (listType === 'map' && isObject(item) ? JSON.stringify(keys.map((k) => item[k])) : JSON.stringify(item)));
        return new Set(ids).size === ids.length;
      };
    },
    errors: false,
  });
  for (const keyword of ['x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword({ keyword });
  }
  return ajv;
}

interface Entry {
  crd: Crd;
  version: string;
  schema: Json;
  validate: ValidateFunction;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(d.name) ? [p] : [];
  });
}

/** The CRD schemas of a directory, keyed by "group/version Kind". */
export class CrdSchemas {
  readonly #entries = new Map<string, Entry>();
  readonly #kinds = new Map<string, string[]>();

  constructor(readonly dir: string = DEFAULT_CRD_DIR) {
    const ajv = newAjv();
    for (const path of yamlFiles(dir)) {
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const crd = doc.toJS() as Crd | null;
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const v of crd.spec.versions) {
          const raw = v.schema?.openAPIV3Schema;
          if (!raw || !v.served) continue;
          const key = `${crd.spec.group}/${v.name} ${crd.spec.names.kind}`;
          const schema = strictFields(raw) as Json;
          this.#entries.set(key, { crd, version: v.name, schema, validate: ajv.compile(schema as AnySchema) });
          const known = this.#kinds.get(crd.spec.names.kind) ?? [];
          this.#kinds.set(crd.spec.names.kind, [...known, `${crd.spec.group}/${v.name}`]);
        }
      }
    }
  }

  /** Whether the directory exists (a user's clone has no ../shared). */
  static available(dir: string = DEFAULT_CRD_DIR): boolean {
    return existsSync(dir);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Checks one object against the CRD of its apiVersion and kind. */
  check(object: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: unknown }): Verdict {
    const key = `${String(object.apiVersion)} ${String(object.kind)}`;
    const entry = this.#entries.get(key);
    if (!entry) {
      const served = this.#kinds.get(String(object.kind));
      return {
        ok: false,
        errors: [served ? `no served CRD version ${String(object.apiVersion)} for ${String(object.kind)} (served: ${served.join(', ')})` : `no CRD for kind ${String(object.kind)} in ${this.dir}`],
        celRules: 0,
      };
    }
    const errors: string[] = [];
    const name = object.metadata?.name;
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) errors.push(`metadata.name: ${JSON.stringify(name)} is not a valid object name`);
    const ns = object.metadata?.namespace;
    if (entry.crd.spec.scope === 'Namespaced' && typeof ns !== 'string') errors.push(`metadata.namespace: ${entry.crd.metadata.name} is namespaced: a namespace is required`);
    if (entry.crd.spec.scope === 'Cluster' && ns !== undefined) errors.push(`metadata.namespace: ${entry.crd.metadata.name} is cluster-scoped: no namespace`);
    if (!entry.validate(object)) {
      for (const e of entry.validate.errors ?? []) {
        const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(object)';
        const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
        errors.push(`${where}: ${e.message ?? e.keyword}${extra}`);
      }
    }
    return { ok: errors.length === 0, schema: `${key} (${entry.crd.metadata.name})`, errors, celRules: celRulesOn(entry.schema, object) };
  }
}

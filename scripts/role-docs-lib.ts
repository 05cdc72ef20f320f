import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { RoleDef } from '../src/engine/definitions.js';

const ROLES_DIR = fileURLToPath(new URL('../roles/', import.meta.url));

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  format?: string;
}

/** Every role directory with an index.ts exporting a role, and its README path. */
export async function rolesWithDocs(): Promise<{ name: string; readme: string; role: RoleDef }[]> {
  const out = [];
  for (const dir of readdirSync(ROLES_DIR, { withFileTypes: true })) {
    const index = join(ROLES_DIR, dir.name, 'index.ts');
    if (!dir.isDirectory() || !existsSync(index)) continue;
    const mod = (await import(pathToFileURL(index).href)) as Record<string, unknown>;
    const role = Object.values(mod).find((v): v is RoleDef => typeof v === 'object' && v !== null && 'varsKey' in v && 'vars' in v);
    if (role) out.push({ name: dir.name, readme: join(ROLES_DIR, dir.name, 'README.md'), role });
  }
  return out;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'any';
}

/** The object schemas whose fields are documented under a var: the var itself, list items, map values, union members. */
function nested(s: JsonSchema, path: string): [JsonSchema, string][] {
  if (s.properties) return [[s, path]];
  if (s.type === 'array' && s.items) return nested(s.items, `${path}[]`);
  if (typeof s.additionalProperties === 'object') return nested(s.additionalProperties, `${path}.<name>`);
  return (s.anyOf ?? s.oneOf ?? []).flatMap((alt) => nested(alt, path));
}

function rows(schema: JsonSchema, prefix: string, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (seen.has(path)) continue;
    seen.add(path);
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    const desc = (s.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const inner = nested(s, path);
    out.push(`| \`${path}\` | ${inner.length > 0 && !s.enum ? (s.type === 'array' ? 'list' : s.anyOf || s.oneOf ? typeOf(s) : s.properties ? 'object' : 'map') : typeOf(s)} | ${def} | ${desc} |`);
    for (const [obj, at] of inner) out.push(...rows(obj, at, seen));
  }
  return out;
}

/** The role's vars as a markdown table (inventory key = the role's varsKey). */
export function varsTable(role: RoleDef): string {
  const schema = z.toJSONSchema(role.vars, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return [
    `Inventory key: \`${role.varsKey}:\` (generated from the role's schema by \`npm run docs:roles\`).`,
    '',
    '| var | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows(schema, ''),
  ].join('\n');
}

const START = '<!-- vars:start -->';
const END = '<!-- vars:end -->';

/** The README text with the table between the markers; undefined when the markers are missing. */
export function withTable(readme: string, table: string): string | undefined {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

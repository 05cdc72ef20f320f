import { isAlias, isMap, isNode, isScalar, isSeq, type Pair } from 'yaml';
import { describe } from './describe.js';
import type { VarLayer } from './merge.js';
import { locationAt, originAt, parseErrorAt, type Origin } from './position.js';
import type { YamlSource } from './yaml.js';

/** A key of a YAML mapping, the node it holds and where it was written. */
export interface Entry {
  readonly key: string;
  /** The value node; an empty value is a null scalar or null. */
  readonly value: unknown;
  readonly path: readonly string[];
  readonly origin: Origin;
}

/** The whole document of `source`, as if it were the value of a key. */
export function rootEntry(source: YamlSource): Entry {
  return { key: '', value: source.doc.contents, path: [], origin: originAt(source.file, source.lines, null, []) };
}

/**
 * The entries of the mapping `owner` holds, in document order; [] when it holds
 * nothing. `<<` merge keys are expanded (keys written in the mapping win, then
 * earlier merge sources).
 */
export function entriesOf(source: YamlSource, owner: Entry, expected: string): Entry[] {
  const node = resolveAlias(source, owner.value);
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) throw parseErrorAt(owner.origin, `expected ${expected}, got ${describe(toPlain(source, node))}`);
  const written = node.items.filter((pair) => !isMergeKey(pair)).map((pair) => entryOf(source, pair, owner.path));
  const merged = node.items
    .filter(isMergeKey)
    .flatMap((pair) => mergeSources(source, pair.value))
    .flatMap((value) => entriesOf(source, { ...owner, value }, expected));
  return [...written, ...merged].filter((entry, index, all) => all.findIndex((e) => e.key === entry.key) === index);
}

/** The variables set by the mapping `owner` holds. */
export function readVars(source: YamlSource, owner: Entry): VarLayer {
  return new Map(
    entriesOf(source, owner, 'a mapping of variables').map((entry) => [
      entry.key,
      {
        value: toPlain(source, entry.value),
        origin: entry.origin,
        locate: (path) => locateIn(source, entry.value, path),
        unsafe: (path) => unsafeIn(source, entry.value, path),
      },
    ]),
  );
}

/** Plain JavaScript data for a node (Secrets stay Secret instances). */
export function toPlain(source: YamlSource, node: unknown): unknown {
  // Alias bombs are refused when the file is parsed (rejectAliasBombs), which bounds what aliases expand to.
  return isNode(node) ? node.toJS(source.doc, { maxAliasCount: -1 }) : (node ?? null);
}

/**
 * Where the value at `path` inside `node` was written ("file:line:col" of its
 * key, or of a list item); the deepest part of the path found when the rest is
 * not in the file (a missing key: where its mapping is). Undefined when not
 * even the first step is found.
 */
export function locateIn(source: YamlSource, node: unknown, path: readonly PropertyKey[]): string | undefined {
  let location: string | undefined;
  let current = node;
  for (const step of path) {
    const found = childOf(source, resolveAlias(source, current), String(step), new Set());
    if (!found) break;
    location = locationAt(source.file, source.lines, found.at.range?.[0] ?? 0);
    current = found.value;
  }
  return location;
}

/** Whether the scalar at `path` inside `node` was tagged `!unsafe` (Ansible never templates it). */
export function unsafeIn(source: YamlSource, node: unknown, path: readonly PropertyKey[]): boolean {
  let current = resolveAlias(source, node);
  for (const step of path) {
    const found = childOf(source, current, String(step), new Set());
    if (!found) return false;
    current = resolveAlias(source, found.value);
  }
  return isScalar(current) && current.tag === '!unsafe';
}

/** The key (or item) node named `step` of a mapping (merge keys followed once each) or list, and its value. */
function childOf(
  source: YamlSource,
  node: unknown,
  step: string,
  seen: Set<unknown>,
): { at: { range?: [number, number, number] | null }; value: unknown } | undefined {
  if (seen.has(node)) return undefined;
  seen.add(node);
  if (isSeq(node)) {
    const item = /^\d+$/.test(step) ? node.items[Number(step)] : undefined;
    return isNode(item) ? { at: item, value: item } : undefined;
  }
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => !isMergeKey(p) && isScalar(p.key) && String(p.key.value) === step);
  if (pair && isNode(pair.key)) return { at: pair.key, value: pair.value };
  for (const merge of node.items.filter(isMergeKey)) {
    for (const from of mergeSources(source, merge.value)) {
      const found = childOf(source, from, step, seen);
      if (found) return found;
    }
  }
  return undefined;
}

function entryOf(source: YamlSource, pair: Pair, parentPath: readonly string[]): Entry {
  const key = isScalar(pair.key) ? String(pair.key.value ?? '') : String(toPlain(source, pair.key));
  const path = [...parentPath, key];
  return { key, value: pair.value, path, origin: originAt(source.file, source.lines, pair.key, path) };
}

function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

function mergeSources(source: YamlSource, value: unknown): unknown[] {
  const node = resolveAlias(source, value);
  return isSeq(node) ? node.items.map((item) => resolveAlias(source, item)) : [node];
}

function resolveAlias(source: YamlSource, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(source.doc) ?? null) : node;
}

import { isSecret } from '../secret.js';
import type { Origin } from './position.js';
import type { Vars } from './types.js';

/** A variable's value and where it was set. */
export interface Located {
  readonly value: unknown;
  readonly origin: Origin;
  /** Where the part at `path` inside the value was written (see locateIn), when it came from a file. */
  readonly locate?: (path: readonly PropertyKey[]) => string | undefined;
  /** Whether the string at `path` inside the value was tagged `!unsafe` (never templated). */
  readonly unsafe?: (path: readonly PropertyKey[]) => boolean;
}

/** The variables one source sets (a vars: section, a host entry, a vars file, the extra vars). */
export type VarLayer = ReadonlyMap<string, Located>;

/** Later layers replace earlier ones key by key (Ansible's hash_behaviour=replace). */
export function mergeLayers(layers: Iterable<VarLayer>): Map<string, Located> {
  const merged = new Map<string, Located>();
  for (const layer of layers) for (const [key, located] of layer) merged.set(key, located);
  return merged;
}

/**
 * The values of `layer` as plain data of their own: a value inherited from a
 * group is copied for each host (and group), so changing one host's vars never
 * changes another's.
 */
export function plainVars(layer: VarLayer): Vars {
  return Object.fromEntries([...layer].map(([key, { value }]) => [key, copyData(value)]));
}

/**
 * A deep copy of `value` like structuredClone (shared and circular references
 * are kept as such inside the copy), except that Secret instances are kept as
 * they are: structuredClone would turn them into empty objects.
 */
export function copyData(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null || isSecret(value)) return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value) copy.push(copyData(item, copies));
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    copies.set(value, copy);
    for (const [key, item] of value) copy.set(copyData(key, copies), copyData(item, copies));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    copies.set(value, copy);
    for (const item of value) copy.add(copyData(item, copies));
    return copy;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    // Not a container that can hold a Secret (e.g. the Uint8Array of !!binary).
    const copy = structuredClone(value);
    copies.set(value, copy);
    return copy;
  }
  const copy: Record<string, unknown> = Object.create(prototype);
  copies.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, not `copy[key] =`: a "__proto__" key must stay an ordinary key.
    const property = { value: copyData(item, copies), enumerable: true, writable: true, configurable: true };
    Object.defineProperty(copy, key, property);
  }
  return copy;
}

export function extraVarsLayer(extraVars: Vars): VarLayer {
  return new Map(
    Object.entries(extraVars).map(([key, value]) => [key, { value, origin: { location: 'extra vars', keyPath: key } }]),
  );
}

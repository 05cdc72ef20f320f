import type { Vars } from './types.js';
import type { Origin } from './position.js';

/** A variable's value and where it was set. */
export interface Located {
  readonly value: unknown;
  readonly origin: Origin;
}

/** The variables one source sets (a vars: section, a vars file, the extra vars). */
export type VarLayer = ReadonlyMap<string, Located>;

/** Later layers replace earlier ones key by key (Ansible's hash_behaviour=replace). */
export function mergeLayers(layers: Iterable<VarLayer>): Map<string, Located> {
  const merged = new Map<string, Located>();
  for (const layer of layers) for (const [key, located] of layer) merged.set(key, located);
  return merged;
}

export function plainVars(layer: VarLayer): Vars {
  return Object.fromEntries([...layer].map(([key, { value }]) => [key, value]));
}

export function extraVarsLayer(extraVars: Vars): VarLayer {
  return new Map(
    Object.entries(extraVars).map(([key, value]) => [key, { value, origin: { location: 'extra vars', keyPath: key } }]),
  );
}

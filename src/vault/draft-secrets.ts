import { isSecret, MIN_SECRET_LENGTH, secret } from '../secret.js';
import type { InventoryDraft } from '../inventory/draft.js';
import type { VarLayer } from '../inventory/merge.js';

/**
 * Adds an inventory file to `draft` with `add`, then makes the string values
 * it set Secrets, as for every vault-encrypted vars file (see yaml-vault.ts):
 * for a vault-encrypted INI inventory, whose values the INI reader types.
 */
export function addWithSecrets(draft: InventoryDraft, add: () => void): void {
  const before = new Set<VarLayer>([...draft.hosts.values(), ...[...draft.groups.values()].map((group) => group.vars)].flat());
  add();
  const replace = (layers: VarLayer[]) => {
    for (const [index, layer] of layers.entries()) if (!before.has(layer)) layers[index] = secretLayer(layer);
  };
  for (const layers of draft.hosts.values()) replace(layers);
  for (const group of draft.groups.values()) replace(group.vars);
}

function secretLayer(layer: VarLayer): VarLayer {
  return new Map([...layer].map(([key, located]) => [key, { ...located, value: secretStrings(located.value) }]));
}

function secretStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.length >= MIN_SECRET_LENGTH ? secret(value) : value;
  if (Array.isArray(value)) return value.map(secretStrings);
  if (value !== null && typeof value === 'object' && !isSecret(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, secretStrings(item)]));
  }
  return value;
}

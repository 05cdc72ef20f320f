import { isSecret } from '../secret.js';

/** How a value found in the inventory is shown after "got" in error messages. */
export function describe(found: unknown): string {
  if (found === null || found === undefined) return 'nothing';
  if (typeof found === 'string') return found.length > 80 ? `${JSON.stringify(found.slice(0, 77))}... (${found.length} characters)` : JSON.stringify(found);
  if (isSecret(found)) return 'a !secret value';
  if (Array.isArray(found)) return 'a list';
  if (typeof found === 'object') return 'a mapping';
  return String(found);
}

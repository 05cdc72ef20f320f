import { fileURLToPath } from 'node:url';

/** Where labs keep their keys, known_hosts and inventory: `.lab/` under the repo root (git-ignored). */
export const LAB_ROOT = fileURLToPath(new URL('../../.lab/', import.meta.url));

export const labWorkdir = (name: string): string => `${LAB_ROOT}${name}`;

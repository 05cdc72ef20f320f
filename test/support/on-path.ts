import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The executable `name` on PATH, if any (for tests that compare with real Ansible tools). */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../ops/op.js';
import { redact } from '../secret.js';

/** A unified diff of a planned file change, secrets masked. */
export function unifiedDiff(d: FileDiff): string {
  return redact(
    createTwoFilesPatch(
      d.before === null ? '/dev/null' : `${d.path} (before)`,
      d.after === null ? '/dev/null' : `${d.path} (after)`,
      d.before ?? '',
      d.after ?? '',
      undefined,
      undefined,
      { context: 3 },
    ).replace(/^=+\n/, ''),
  );
}

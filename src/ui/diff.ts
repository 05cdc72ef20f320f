import { createRequire } from 'node:module';
import type { ContentDigest, FileDiff } from '../ops/op.js';
import { redact } from '../secret.js';

export const SECRET_NOT_SHOWN = 'content changed, secret — not shown';

function describeDigest(d: ContentDigest | null): string {
  return d === null ? 'absent' : `${d.bytes} bytes, sha256 ${d.sha256}`;
}

/**
 * A unified diff of a planned file change. Each side is masked BEFORE the
 * patch is made (a multi-line secret split by the patch's `+`/`-` prefixes
 * would no longer be found whole); a sensitive change shows only digests.
 */
export function unifiedDiff(d: FileDiff): string {
  const path = redact(d.path);
  if (d.sensitive) {
    return `--- ${path}: ${SECRET_NOT_SHOWN}\n    before: ${describeDigest(d.before)}\n    after:  ${describeDigest(d.after)}`;
  }
  // loaded (its CommonJS build, synchronously) when the first diff is shown: most runs show none
  const { createTwoFilesPatch } = createRequire(import.meta.url)('diff') as typeof import('diff');
  return createTwoFilesPatch(
    d.before === null ? '/dev/null' : `${path} (before)`,
    d.after === null ? '/dev/null' : `${path} (after)`,
    redact(d.before ?? ''),
    redact(d.after ?? ''),
    undefined,
    undefined,
    { context: 3 },
  ).replace(/^=+\n/, '');
}

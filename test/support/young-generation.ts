import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes DIR/young-generation.EXT: a program that keeps ~40 MiB of young
 * objects alive, prints `{ kept, youngMiB }` (the size of V8's young
 * generation) and exits, for `labwright run` to show the heap setting of its
 * process. V8's default grows the young generation to 32 MiB on it.
 */
export function writeYoungGenerationProbe(dir: string, ext: '.mjs' | '.ts'): string {
  const typed = ext === '.ts';
  const file = join(dir, `young-generation${ext}`);
  const lines = [
    `import { getHeapSpaceStatistics } from 'node:v8';`,
    `const kept${typed ? ': { i: number; text: string }[]' : ''} = [];`,
    `for (let i = 0; i < 400_000; i++) kept.push({ i, text: 'x'.repeat(64) + i });`,
    `const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')${typed ? '!' : ''};`,
    `console.log(JSON.stringify({ kept: kept.length, youngMiB: young.space_size / 2 ** 20 }));`,
    `process.exit(0);`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * Start-up: the site playbook's --list-hosts on the 8-host example inventory
 * (no host contacted: all start-up), compiled as the package ships it and
 * through tsx, against `node -e 0` on the same machine. The commands take
 * turns, RUNS times each, and each keeps its best time, so a busy machine
 * slows all of them alike and the ratio holds.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CompiledTree } from './compiled.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../', import.meta.url));
const probe = join(repo, 'test/support/module-probe.mjs');
const HOME = join(repo, 'inventory/home.yaml');
const RUNS = 10;

export interface Measured {
  what: string;
  /** Best wall time of the runs, in ms. */
  ms: number;
  /** Peak resident memory of the process (the largest, for tsx's two), MiB. */
  rssMiB: number;
}

/** Runs `argv`: wall time in ms; with `rss`, the RSS probe in NODE_OPTIONS and the peak RSS in MiB (its largest process, for tsx's two). */
export async function measure(argv: readonly string[], options: { rss?: boolean; cwd?: string; maxBuffer?: number } = {}): Promise<{ ms: number; rssMiB: number }> {
  const record = join(tmpdir(), `lw-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const probed = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim(), LABWRIGHT_RSS_PROBE: record };
  const env = { ...process.env, ...(options.rss ? probed : {}) };
  const start = performance.now();
  await run(argv[0]!, argv.slice(1), { cwd: options.cwd ?? repo, env, maxBuffer: options.maxBuffer ?? 16 * 2 ** 20 });
  const ms = performance.now() - start;
  if (!options.rss) return { ms, rssMiB: NaN };
  const kib = Math.max(...readFileSync(record, 'utf8').match(/\d+/g)!.map(Number));
  rmSync(record, { force: true });
  return { ms, rssMiB: kib / 1024 };
}

/** Each command's best time of RUNS turns (timed without the probe), and its peak RSS from one more run. */
export async function startupBench(compiled: CompiledTree): Promise<Measured[]> {
  const cases: [string, string[]][] = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['site --list-hosts, compiled (npm package)', [process.execPath, compiled.path('playbooks/site.ts'), '-i', HOME, '--list-hosts']],
    ['site --list-hosts, tsx playbooks/site.ts', [join(repo, 'node_modules/.bin/tsx'), 'playbooks/site.ts', '-i', HOME, '--list-hosts']],
  ];
  const best = await Promise.all(cases.map(async ([what, argv]) => ({ what, ms: Infinity, rssMiB: (await measure(argv, { rss: true })).rssMiB })));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [, argv]] of cases.entries()) best[k]!.ms = Math.min(best[k]!.ms, (await measure(argv)).ms);
  }
  return best;
}

/**
 * `node --import ./test/support/module-probe.mjs …` (or in NODE_OPTIONS):
 * records what the process loaded and its peak memory, for start-up tests
 * and the benchmark.
 *  - LABWRIGHT_MODULE_PROBE=FILE appends to FILE one line `module URL` per
 *    module loaded through the ESM loader (from a loader-hooks thread), one
 *    per CommonJS module in the require cache, and `maxrss KIB` at exit;
 *  - LABWRIGHT_RSS_PROBE=FILE appends only `maxrss KIB` (no hooks thread,
 *    whose own memory would count).
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const modulesTo = process.env.LABWRIGHT_MODULE_PROBE;
const rssTo = modulesTo ?? process.env.LABWRIGHT_RSS_PROBE;
if (modulesTo) {
  // Loader hooks run on their own thread: they append each URL as it loads.
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(modulesTo)}, 'module ' + url + '\\n');
  return next(url, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(modulesTo, Object.keys(cache).map((file) => `module ${pathToFileURL(file).href}\n`).join('')));
}
if (rssTo) process.on('exit', () => appendFileSync(rssTo, `maxrss ${process.resourceUsage().maxRSS}\n`));

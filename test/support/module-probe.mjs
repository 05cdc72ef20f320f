/**
 * `node --import ./test/support/module-probe.mjs …`: records what the process
 * loaded, for start-up tests and the benchmark. With LABWRIGHT_MODULE_PROBE=FILE
 * set, appends to FILE one line `module URL` per module loaded through the
 * ESM loader, one `module file://…` per CommonJS module in the require cache,
 * and at exit `maxrss KIB` (the process's peak resident memory).
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.LABWRIGHT_MODULE_PROBE;
if (out) {
  // Loader hooks run on their own thread: they append each URL as it loads.
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(out)}, 'module ' + url + '\\n');
  return next(url, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const cjs = Object.keys(cache).map((file) => `module ${pathToFileURL(file).href}\n`);
    appendFileSync(out, `${cjs.join('')}maxrss ${process.resourceUsage().maxRSS}\n`);
  });
}

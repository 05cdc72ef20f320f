#!/usr/bin/env node
// `labwright …`. In a clone (src/ present, no build step) it runs src/cli/labwright.ts through tsx;
// in the installed package (no src/) it runs the compiled dist/src/cli/labwright.js.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/labwright.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  // tsx's ESM and CommonJS loaders, as src/cli/typescript.ts loads them for `labwright run` (which the mark tells it is done).
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  globalThis[Symbol.for('labwright.typescript')] = true;
  cli = await import(source.href);
} else {
  cli = await import('../dist/src/cli/labwright.js');
}
process.exitCode = await cli.runLabwright(process.argv.slice(2));

#!/usr/bin/env node
// `labwright …`. In a clone (src/ present, no build step) it runs src/cli/labwright.ts through tsx;
// in the installed package (no src/) it runs the compiled dist/src/cli/labwright.js.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// What a run allocates mostly lives to its end (modules, inventory, connections): V8 would grow its young
// generation to 2 x 16 MiB for nothing. Kept at its initial size, a run of a compiled playbook takes ~12 MiB
// less memory (npm run bench). Only in this process: a program importing labwright keeps its own settings.
// V8 raises the factor back to 2 whenever a thread starts a heap of its own (tsx's loader and compiler threads
// do): it is set again once the CLI is loaded; a TypeScript playbook's compiler thread still resets it.
const keepYoungGenerationSmall = () => setFlagsFromString('--semi-space-growth-factor=1');
keepYoungGenerationSmall();

const source = new URL('../src/cli/labwright.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  // tsx's ESM and CommonJS loaders, as src/cli/typescript.ts loads them for `labwright run` (which the mark tells it is done).
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  globalThis[Symbol.for('labwright.typescript')] = true;
  cli = await import(source.href);
  keepYoungGenerationSmall();
} else {
  cli = await import('../dist/src/cli/labwright.js');
}
process.exitCode = await cli.runLabwright(process.argv.slice(2));

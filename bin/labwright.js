#!/usr/bin/env node
// `labwright …`. In a clone (src/ present, no build step) it runs src/cli/labwright.ts through tsx;
// in the installed package (no src/) it runs the compiled dist/src/cli/labwright.js.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/labwright.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  // Tells `labwright run` that TypeScript already loads (see src/cli/typescript.ts).
  globalThis[Symbol.for('labwright.typescript')] = true;
  cli = await import(source.href);
} else {
  cli = await import('../dist/src/cli/labwright.js');
}
process.exitCode = await cli.runLabwright(process.argv.slice(2));

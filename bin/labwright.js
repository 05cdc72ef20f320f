#!/usr/bin/env node
// `npx labwright …` in a clone (npm ci, no build step): registers tsx's loader, then runs src/cli/labwright.ts.
import { register } from 'tsx/esm/api';

register();
const { runLabwright } = await import('../src/cli/labwright.ts');
process.exitCode = await runLabwright(process.argv.slice(2));

/**
 * Start-up stays small: a playbook's --list-hosts and --plan load none of
 * the heavy modules a run may need later (listr2 only for live output on a
 * terminal, zx for local connections, ssh2 for SSH, handlebars when a
 * template renders, nunjucks for a Jinja template in the inventory, diff for
 * a diff, ajv never). The process runs with test/support/module-probe.mjs,
 * which lists every module it loaded; a Jinja inventory shows the probe sees
 * a lazily loaded one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'lw-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HEAVY = ['listr2', 'zx', 'ssh2', 'handlebars', 'nunjucks', 'diff', 'ajv'];

/** The packages under node_modules whose modules the site playbook's process loaded. */
async function packagesLoaded(args: string[]): Promise<Set<string>> {
  const record = join(work, `modules-${Math.random().toString(36).slice(2)}.txt`);
  await run(process.execPath, ['--import', 'tsx', '--import', './test/support/module-probe.mjs', 'playbooks/site.ts', ...args], {
    cwd: repo,
    env: { ...process.env, LABWRIGHT_MODULE_PROBE: record },
  });
  const modules = readFileSync(record, 'utf8').split('\n').filter((line) => line.startsWith('module '));
  expect(modules.some((line) => line.includes('/src/inventory/load.'))).toBe(true); // the probe saw the engine load
  return new Set(modules.flatMap((line) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1] ?? []));
}

describe('start-up loads only what the run uses', () => {
  it.each([['--list-hosts'], ['--plan']])('site playbook %s on the example inventory: no heavy module', async (flag) => {
    const loaded = await packagesLoaded(['-i', 'inventory/home.yaml', flag]);
    expect(loaded.has('zod') && loaded.has('yaml')).toBe(true);
    expect(HEAVY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it('an inventory value with a Jinja template loads nunjucks, and nothing else heavy', async () => {
    const inventory = join(work, 'jinja.yaml');
    writeFileSync(inventory, 'all:\n  vars:\n    prefix: "192.0.2"\n  hosts:\n    h1:\n      ansible_host: "{{ prefix }}.10"\n');
    const loaded = await packagesLoaded(['-i', inventory, '--list-hosts']);
    expect(HEAVY.filter((name) => loaded.has(name))).toEqual(['nunjucks']);
  });
});

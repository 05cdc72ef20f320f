import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ansibleBin, ansibleEnvironment, ansibleInventoryBin, ansiblePython } from '../../test/support/ansible.js';
import { CORPUS, type CorpusCase } from '../../test/fixtures/ansible-inventories/cases.js';
import { captureIo } from '../../test/support/io.js';
import { runLabwright } from '../cli/labwright.js';
import { OptionsError } from '../errors.js';
import { loadInventory } from './index.js';
import { limitHosts } from './limit.js';

/*
 * The corpus of test/fixtures/ansible-inventories/ (YAML, INI, directories mixing
 * both, vars files, ranges, children, patterns) read by real Ansible and by
 * labwright: `ansible-inventory --list` and `--graph` against `labwright inventory`,
 * and every host pattern of a case (alone and with a --limit) against ansible-core's
 * own InventoryManager.get_hosts (what `ansible PATTERN --list-hosts` prints; one
 * pattern per case also through the `ansible` command itself), order included.
 */

const corpus = fileURLToPath(new URL('../../test/fixtures/ansible-inventories/', import.meta.url));
const python = ansiblePython();
const skipReason = 'ansible-core (ansible-inventory, ansible) is not installed: the corpus is not compared with real Ansible';
const available = Boolean(ansibleInventoryBin && ansibleBin && python);
if (!available) console.warn(`SKIPPED ${path.basename(fileURLToPath(import.meta.url))}: ${skipReason}`);

const run = promisify(execFile);
let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'labwright-corpus-'));
  await writeFile(path.join(scratch, 'ansible.cfg'), '');
  env = ansibleEnvironment(scratch, 'yaml,ini');
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const inventoriesOf = (corpusCase: CorpusCase) => corpusCase.inventories.map((file) => path.join(corpus, file));
const inventoryArgs = (corpusCase: CorpusCase) => inventoriesOf(corpusCase).flatMap((file) => ['-i', file]);

async function ansible(command: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(command, [...args], { env, cwd: scratch, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function labwright(args: readonly string[]): Promise<string> {
  const io = captureIo();
  const code = await runLabwright(args, io);
  expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: '' });
  return io.stdout;
}

/** Each query's hosts (or its error) according to ansible-core's InventoryManager, in one Python process. */
async function ansibleSelections(corpusCase: CorpusCase, queries: readonly (readonly [string, string | null])[]) {
  const script = [
    'import json, sys',
    'from ansible.errors import AnsibleError',
    'from ansible.inventory.manager import InventoryManager',
    'from ansible.parsing.dataloader import DataLoader',
    'spec = json.load(sys.stdin)',
    "inventory = InventoryManager(loader=DataLoader(), sources=spec['inventories'])",
    'out = []',
    "for pattern, limit in spec['queries']:",
    '    inventory.subset(limit)',
    '    try:',
    '        out.append([host.name for host in inventory.get_hosts(pattern)])',
    '    except AnsibleError:',
    "        out.append('error')",
    'print(json.dumps(out))',
  ].join('\n');
  const child = execFile(python!, ['-c', script], { env, cwd: scratch, maxBuffer: 16 * 1024 * 1024 });
  child.stdin!.end(JSON.stringify({ inventories: inventoriesOf(corpusCase), queries }));
  let stdout = '';
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return JSON.parse(stdout) as (string[] | 'error')[];
}

const title = available ? 'the same inventory as real Ansible' : `SKIPPED: ${skipReason}`;

describe.skipIf(!available)(title, () => {
  it.concurrent.for(CORPUS)('ansible-inventory --list: $name', async (corpusCase, { expect }) => {
    const [theirs, ours] = await Promise.all([
      ansible(ansibleInventoryBin!, [...inventoryArgs(corpusCase), '--list']),
      labwright(['inventory', ...inventoryArgs(corpusCase), '--list']),
    ]);
    const { _meta: theirMeta, ...theirGroups } = JSON.parse(theirs);
    const { _meta: ourMeta, ...ourGroups } = JSON.parse(ours);
    expect(Object.keys(theirMeta.hostvars).length).toBeGreaterThan(0);
    expect(ourGroups).toEqual(theirGroups); // hosts and children lists in Ansible's order
    expect(ourMeta.hostvars).toEqual(theirMeta.hostvars);
  });

  it.concurrent.for(CORPUS)('ansible-inventory --graph: $name', async (corpusCase, { expect }) => {
    const [theirs, ours] = await Promise.all([
      ansible(ansibleInventoryBin!, [...inventoryArgs(corpusCase), '--graph']),
      labwright(['inventory', ...inventoryArgs(corpusCase), '--graph']),
    ]);
    expect(ours.trimEnd()).toBe(theirs.trimEnd());
  });

  it.concurrent.for(CORPUS)('host patterns and --limit, order included: $name', async (corpusCase, { expect }) => {
    const queries: (readonly [string, string | null])[] = [
      ...corpusCase.patterns.map((pattern) => [pattern, null] as const),
      ...(corpusCase.limited ?? []),
    ];
    const theirs = await ansibleSelections(corpusCase, queries);
    const inventory = await loadInventory(inventoriesOf(corpusCase));
    const select = (pattern: string) => inventory.select(pattern).map((host) => host.name);
    const ours = queries.map(([pattern, limit]) => {
      try {
        const limited = limit === null ? undefined : limitHosts(inventory, limit);
        return select(pattern).filter((host) => !limited || limited.has(host));
      } catch (error) {
        if (error instanceof OptionsError) return 'error';
        throw error;
      }
    });
    const asRows = (results: readonly (string[] | 'error')[]) => queries.map(([pattern, limit], i) => ({ pattern, limit, hosts: results[i] }));
    expect(asRows(ours)).toEqual(asRows(theirs));
    expect(theirs.some((hosts) => Array.isArray(hosts) && hosts.length > 1)).toBe(true);
  });

  it('--limit @FILE (a retry file: host names, blank lines, spaces, CRLF), alone and with other parts', async () => {
    const corpusCase = CORPUS[0]!;
    const retry = path.join(scratch, 'site.retry');
    await writeFile(retry, 'node5\n\n  gw1  \r\ncp02\nworker-a\ncp03\n!cp03\nnosuchhost\n');
    const queries = (['all', 'k8s', 'gateways', 'workers[0:1]'] as const).flatMap((pattern) =>
      [`@${retry}`, `@${retry},!gw1`, `@${retry}:&k8s`, `monitoring,@${retry}`].map((limit) => [pattern, limit] as const),
    );
    const theirs = await ansibleSelections(corpusCase, queries);
    const inventory = await loadInventory(inventoriesOf(corpusCase));
    const ours = queries.map(([pattern, limit]) => {
      const limited = limitHosts(inventory, limit);
      return inventory.select(pattern).map((host) => host.name).filter((host) => limited.has(host));
    });
    const asRows = (results: readonly (string[] | 'error')[]) => queries.map(([pattern, limit], i) => ({ pattern, limit, hosts: results[i] }));
    expect(asRows(ours)).toEqual(asRows(theirs));
    expect(theirs.filter((hosts) => Array.isArray(hosts) && hosts.length > 0).length).toBeGreaterThan(8);
  });

  it('--limit @FILE, property: 120 generated limit files (fast-check, seed 20261203) select what ansible-core selects', async () => {
    const corpusCase = CORPUS[0]!;
    const inventory = await loadInventory(inventoriesOf(corpusCase));
    // what a limit file may hold: known hosts, groups, unknown names, globs, exclusions, intersections, blank lines
    const term = fc.oneof(
      fc.constantFrom(...inventory.hosts.keys()),
      fc.constantFrom('gateways', 'k8s', 'workers', 'monitoring', 'nosuchhost', 'gw*', 'node?', 'cp0[12]'),
    );
    const line = fc.tuple(fc.constantFrom('', '', '', '!', '&'), term, fc.constantFrom('', ' ', '\t', '\r'), fc.constantFrom('', '  ')).map(([op, t, end, start]) => `${start}${op}${t}${end}`);
    const file = fc.tuple(fc.array(fc.oneof(line, fc.constant(''), fc.constant('   ')), { minLength: 1, maxLength: 8 }), fc.boolean()).map(([lines, finalNewline]) => lines.join('\n') + (finalNewline ? '\n' : ''));
    const samples = fc.sample(fc.tuple(file, fc.constantFrom('all', 'k8s', 'gateways:workers'), fc.constantFrom('', ',!gw1', ':&k8s')), { numRuns: 120, seed: 20261203 });
    const queries = await Promise.all(
      samples.map(async ([text, pattern, rest], i) => {
        const limitFile = path.join(scratch, `generated-${i}.retry`);
        await writeFile(limitFile, text);
        return [pattern, `@${limitFile}${rest}`] as const;
      }),
    );
    const theirs = await ansibleSelections(corpusCase, queries);
    const ours = queries.map(([pattern, limit]) => {
      try {
        const limited = limitHosts(inventory, limit);
        return inventory.select(pattern).map((host) => host.name).filter((host) => limited.has(host));
      } catch (error) {
        if (error instanceof OptionsError) return 'error';
        throw error;
      }
    });
    const rows = (results: readonly (string[] | 'error')[]) => queries.map(([pattern, limit], i) => ({ pattern, file: samples[i]![0], limit: limit.replace(scratch, ''), hosts: results[i] }));
    // a file of blank lines only limits to nothing in Ansible; labwright refuses it (exit 5): compare the others
    const comparable = (results: readonly (string[] | 'error')[]) => rows(results).filter((_, i) => ours[i] !== 'error' || !/^\s*$/.test(samples[i]![0]));
    expect(comparable(ours)).toEqual(comparable(theirs));
    expect(theirs.filter((hosts) => Array.isArray(hosts) && hosts.length > 0).length).toBeGreaterThan(30);
  });

  it.concurrent.for(CORPUS)('`ansible PATTERN --list-hosts` itself: $name', async (corpusCase, { expect }) => {
    const pattern = corpusCase.patterns.find((text) => /\[-1\]|\[\d+:\]/.test(text)) ?? 'all[1:]';
    const output = await ansible(ansibleBin!, [...inventoryArgs(corpusCase), pattern, '--list-hosts']);
    const theirs = output.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
    const inventory = await loadInventory(inventoriesOf(corpusCase));
    expect(theirs.length).toBeGreaterThan(0);
    expect(inventory.select(pattern).map((host) => host.name)).toEqual(theirs);
  });
});

/**
 * Mutated inventories through the real CLI entry: every outcome is a plan
 * (exit 0) or an inventory error (exit 4), never "ERROR (unexpected)", never a
 * stack trace. The mutations are random YAML edits of the example inventories,
 * from a seeded generator: a failure names its seed and iteration, and
 * FUZZ_SEED=<seed> FUZZ_ITERATIONS=<n> reproduce it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { writeTree } from './fixtures/tree.js';

const ROOT = fileURLToPath(new URL('../../inventory/', import.meta.url));
const EXAMPLES = [
  ...readdirSync(ROOT).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, f)),
  ...readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'examples', f)),
];
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1000);

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tokens that YAML, the inventory format or the roles treat specially. */
const TOKENS = [
  '[', ']', '{', '}', ':', '- ', '"', "'", '&a', '*a', '<<: *a', '!secret x', '!secret', '!unsafe', '!!binary AAAA', '!vault',
  '~', 'null', 'true', 'no', 'y', '-1', '0', '65536', '1e400', '0x1F', '10.0.0.300/33', '::1', '10.1.2.3', 'default',
  'all', 'children:', 'hosts:', 'vars:', '\t', '\u00e9', '\u{1F600}', '\u0000', '%', '@', '`', '|', '>', '#', '? ', '---', '...',
  'cluster: {cni: calico}', 'lan: {subnet: 10.0.0.0/8}', 'networking: {interfaces: {eth0: {addresses: [10.0.0.1/8]}}}',
];

type Mutation = (lines: string[], random: () => number) => void;
const pick = <T,>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)];
const at = (lines: string[], random: () => number) => Math.floor(random() * lines.length);

const MUTATIONS: Mutation[] = [
  (lines, r) => void lines.splice(at(lines, r), 1), // delete a line
  (lines, r) => void lines.splice(at(lines, r), 0, lines[at(lines, r)]), // duplicate a line elsewhere
  (lines, r) => {
    const [i, j] = [at(lines, r), at(lines, r)];
    [lines[i], lines[j]] = [lines[j], lines[i]];
  },
  (lines, r) => {
    const i = at(lines, r);
    lines[i] = r() < 0.5 ? `  ${lines[i]}` : lines[i].replace(/^ {1,2}/, '');
  },
  (lines, r) => {
    const i = at(lines, r);
    lines[i] = lines[i].replace(/:\s.*$/, `: ${pick(TOKENS, r)}`); // replace a value
  },
  (lines, r) => {
    const i = at(lines, r);
    const pos = Math.floor(r() * (lines[i].length + 1));
    lines[i] = lines[i].slice(0, pos) + pick(TOKENS, r) + lines[i].slice(pos); // insert a token
  },
  (lines, r) => {
    const i = at(lines, r);
    const indent = /^\s*/.exec(lines[i])![0];
    lines.splice(i, 0, `${indent}${pick(['zz_unknown', 'upstreem', 'addresss', 'vai', 'subnet', 'hosts', 'vars'], r)}: ${pick(TOKENS, r)}`);
  },
  (lines, r) => {
    const i = at(lines, r);
    lines[i] = lines[i].replace(/(\w+):/, '$1: &a').replace(/^(\s*)(\w+): (?!&)/, '$1$2: *a '); // anchors and aliases
  },
  (lines, r) => void lines.splice(at(lines, r)), // truncate
  (lines, r) => {
    const i = at(lines, r);
    const chars = [...lines[i]];
    if (chars.length > 0) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 128));
    lines[i] = chars.join('');
  },
];

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits && lines.length > 0; e++) pick(MUTATIONS, random)(lines, random);
  return lines.join('\n');
}

describe('fuzz: mutated example inventories through main() --plan', () => {
  it(`${ITERATIONS} mutations (seed ${SEED}): exit 0 or 4, never unexpected, never a stack trace`, { timeout: 120_000 }, async () => {
    const random = generator(SEED);
    const dir = await writeTree({});
    const file = path.join(dir, 'hosts.yaml');
    const failures: string[] = [];
    const codes = new Map<number, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const example = pick(EXAMPLES, random);
      const mutated = mutate(readFileSync(example, 'utf8'), random);
      writeFileSync(file, mutated);
      const io = captureIo();
      const args = random() < 0.8 ? ['--plan'] : ['--list-hosts'];
      const code = await main(site, ['-i', file, ...args], io);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (![0, 4].includes(code) || /unexpected|\n {4}at /.test(io.stderr)) {
        failures.push(`iteration ${i} (${path.basename(example)} ${args[0]}): exit ${code}\n${io.stderr.slice(0, 600)}\n--- inventory ---\n${mutated.slice(0, 1500)}`);
      }
    }
    expect(failures.slice(0, 3).join('\n\n'), `${failures.length} of ${ITERATIONS} failed`).toBe('');
    // Both outcomes occur: the mutations neither all break nor all miss the inventories.
    expect(codes.get(0)).toBeGreaterThan(ITERATIONS / 20);
    expect(codes.get(4)).toBeGreaterThan(ITERATIONS / 5);
  });

  it(`${Math.ceil(ITERATIONS / 4)} mutated -e values (seed ${SEED}): exit 0, 4 or 5, never unexpected`, { timeout: 120_000 }, async () => {
    const random = generator(SEED + 1);
    const dir = await writeTree({});
    const varsFile = path.join(dir, 'vars.yaml');
    const inventory = path.join(ROOT, 'home.yaml');
    const vars = ['lan: { subnet: 192.168.50.0/24, domain: home.arpa }', 'dnsmasq:', '  upstream: [1.1.1.1]', '  range: { start: 192.168.50.100, end: 192.168.50.199 }', 'token: !secret abcdef', 'forks: 3'].join('\n');
    const failures: string[] = [];
    for (let i = 0; i < Math.ceil(ITERATIONS / 4); i++) {
      const kind = random();
      let value: string;
      if (kind < 0.5) {
        writeFileSync(varsFile, mutate(vars, random));
        value = `@${varsFile}`;
      } else if (kind < 0.8) {
        value = mutate(`{${vars.split('\n').filter((l) => !l.startsWith(' ')).join(', ')}}`, random);
      } else {
        value = `${pick(['a', 'lan', 'x_1', 'forks'], random)}=${pick(TOKENS, random)} b=${pick(TOKENS, random)}`;
      }
      const io = captureIo();
      const code = await main(site, ['-i', inventory, '-e', value, '--plan'], io);
      if (![0, 4, 5].includes(code) || /unexpected|\n {4}at /.test(io.stderr)) failures.push(`iteration ${i}: -e ${JSON.stringify(value)}: exit ${code}\n${io.stderr.slice(0, 600)}`);
    }
    expect(failures.slice(0, 3).join('\n\n'), `${failures.length} failed`).toBe('');
  });
});

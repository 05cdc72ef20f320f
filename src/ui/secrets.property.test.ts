import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../cli/main.js';
import { defineRole, play, type PlayDef } from '../engine/definitions.js';
import type { Recap, Reporter, RunEvent } from '../engine/events.js';
import { fileInfo, type FileInfo } from '../facts/builtin.js';
import { file } from '../ops/file.js';
import { digest, fileDiff, type Change } from '../ops/op.js';
import { secret } from '../secret.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { captureIo } from '../../test/support/io.js';
import { JsonReporter } from './json.js';
import { LiveReporter } from './live.js';
import { PlainReporter } from './plain.js';

/**
 * Property: a value marked secret never appears in any output mode — not raw,
 * not JSON-escaped, not any line (over 3 characters) of a multi-line one — nor
 * does the previous value of a rotated secret. Random strings (fast-check):
 * quotes, backslashes, newlines, tabs, unicode, lone surrogates, long ones.
 * Every output mode sees the secret in every field an event has: play and task
 * names, summaries, reasons, diffs (a file whose content holds it, and whose
 * old content holds the old value), failure messages, commands and stderr;
 * the CLI's error output sees it in an inventory error and in an unexpected one.
 */

const SPECIALS = ['"', "'", '\\', '\n', '\r\n', '\t', '\u2028', '\u0000', '*', ' ', '%s', '$(', '`', 'é', '日', '\u{1F511}', '\uD800'];
const secretText = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }, fc.constantFrom(...SPECIALS)),
  minLength: 4,
  maxLength: 400,
});

const recap: Recap = { hosts: { h1: { ok: 0, changed: 1, failed: 1, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 } } };

async function plannedChanges(value: string, old: string): Promise<Change[]> {
  const before = `# managed\npassword = ${old}\n`;
  const info: FileInfo = { exists: true, type: 'file', owner: 'root', group: 'root', mode: '0600', ...digestOf(before), content: before };
  const ctx = new FixtureContext([[fileInfo('/etc/app.conf'), info]]);
  const plan = await file({ path: '/etc/app.conf', content: `# managed\npassword = ${value}\n`, mode: '0600' }).plan(ctx);
  if (plan.kind === 'ok') throw new Error('expected a change');
  return [
    ...plan.changes,
    { summary: `set the token to ${value}`, diff: fileDiff('Secret kube-system/token', `token: ${old}\n`, `token: ${value}\n`) },
  ];
}

function digestOf(content: string): { size: number; sha256: string } {
  const d = digest(content);
  return { size: d.bytes, sha256: d.sha256 };
}

async function events(value: string, old: string): Promise<RunEvent[]> {
  const changes = await plannedChanges(value, old);
  return [
    { type: 'play:start', play: `deploy ${value}`, hosts: ['h1'], check: true },
    { type: 'task:start', task: `write ${value}`, handler: false },
    { type: 'host:result', host: 'h1', task: `write ${value}`, handler: false, status: 'changed', check: true, reason: `because ${value}`, changes, durationMs: 3 },
    {
      type: 'host:result', host: 'h1', task: `login ${value}`, handler: false, status: 'failed', check: false, durationMs: 4,
      error: { message: `login failed for\n${value}\nend`, command: `login --password ${value}`, exitCode: 1, stderr: `denied: ${value}\n` },
    },
    { type: 'play:abort', play: 'deploy', reason: `stopped at ${value}` },
    { type: 'play:end', play: 'deploy' },
  ];
}

async function drive(reporter: Reporter, evs: RunEvent[]): Promise<void> {
  for (const e of evs) reporter.event(e);
  await reporter.finish(recap);
}

/** What the live renderer draws (listr2 writes to process.stdout) and prints. */
async function liveOutput(evs: RunEvent[]): Promise<string> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  try {
    await drive(new LiveReporter({ diff: true, verbose: 2 }, (s) => (out += s)), evs);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

let inventoryPath: string;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-secret-prop-'));
  inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(inventoryPath, 'all:\n  hosts:\n    h1: { ansible_connection: local }\n');
});

/** The CLI's error output: an inventory-style error (a role's vars message) and an unexpected one (with its stack). */
async function cliErrors(value: string): Promise<string> {
  const careless = defineRole({
    name: 'careless',
    vars: z.unknown().superRefine((_v, ctx) => ctx.addIssue({ code: 'custom', message: `bad password ${value}` })),
    tasks: () => [],
  });
  const io = captureIo();
  await main([play({ name: 'p', hosts: 'all', roles: [careless] })], ['-i', inventoryPath, '--check'], io);
  const broken = { name: 'broken', roles: [] } as unknown as PlayDef;
  Object.defineProperty(broken, 'hosts', { get: () => { throw new TypeError(`cannot use ${value}`); } });
  await main([broken], ['-i', inventoryPath, '--check'], io);
  return io.text();
}

async function allOutputs(value: string, old: string): Promise<Record<string, string>> {
  const evs = await events(value, old);
  let plain = '';
  let json = '';
  await drive(new PlainReporter({ diff: true, verbose: 2 }, (s) => (plain += s)), evs);
  await drive(new JsonReporter((s) => (json += s)), evs);
  return { plain, json, live: await liveOutput(evs), cli: await cliErrors(value) };
}

/** Sizes and hashes are what a sensitive diff is meant to show: a short secret may be found inside a hex digest by chance. */
function withoutDigests(text: string): string {
  return text.replace(/[0-9a-f]{64}/g, '#').replace(/\d+ bytes|"bytes": \d+/g, '#');
}

const BASELINE_SECRET = 'BASELINE-SECRET-VALUE';
const BASELINE_OLD = 'BASELINE-OLD-VALUE';

describe('no secret in any output (property)', () => {
  beforeAll(() => void secret(BASELINE_SECRET));

  it('random secrets and rotated old values never appear: raw, JSON-escaped or line by line', async () => {
    await fc.assert(
      fc.asyncProperty(secretText, secretText, async (value, old) => {
        fc.pre(value !== old && !value.includes(old) && !old.includes(value));
        secret(value);
        const outputs = await allOutputs(value, old);
        // the same run with other values: text of labwright's own (indentation, labels) that a line may equal
        const baseline = Object.values(await allOutputs(BASELINE_SECRET, BASELINE_OLD)).join('\n');
        for (const [mode, raw] of Object.entries(outputs)) {
          const out = withoutDigests(raw);
          for (const hidden of [value, old]) {
            expect(out, `${mode}: raw`).not.toContain(hidden);
            expect(out, `${mode}: JSON-escaped`).not.toContain(JSON.stringify(hidden).slice(1, -1));
            for (const line of hidden.split('\n')) {
              if (line.length > 3 && !baseline.includes(line)) expect(out, `${mode}: line ${JSON.stringify(line)}`).not.toContain(line);
            }
          }
        }
      }),
      { numRuns: 60, seed: 20261203 },
    );
  }, 120_000);
});

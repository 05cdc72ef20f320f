import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostResult, RunEvent } from '../engine/events.js';
import { fileInfo, type FileInfo } from '../facts/builtin.js';
import { file, planFile } from '../ops/file.js';
import type { Change } from '../ops/op.js';
import { template } from '../ops/template.js';
import { secret } from '../secret.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { JsonReporter } from './json.js';
import { PlainReporter } from './plain.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const existing = (content: string): FileInfo => ({
  exists: true, type: 'file', owner: 'root', group: 'root', mode: '0600', size: Buffer.byteLength(content), sha256: sha(content), content,
});

function result(changes: Change[], extra: Partial<HostResult> = {}): HostResult {
  return { type: 'host:result', host: 'h1', task: 'write config', handler: false, status: 'changed', check: true, changes, durationMs: 1, ...extra };
}

/** What each output mode prints for these events: text with --diff and -vv, and --json. */
async function outputs(events: RunEvent[]): Promise<{ text: string; json: string }> {
  let text = '';
  let json = '';
  const plain = new PlainReporter({ diff: true, verbose: 2 }, (s) => (text += s));
  const jsonReporter = new JsonReporter((s) => (json += s));
  for (const e of events) {
    plain.event(e);
    jsonReporter.event(e);
  }
  const recap = { hosts: { h1: { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 } } };
  await plain.finish(recap);
  await jsonReporter.finish(recap);
  return { text, json };
}

async function changesOf(plan: ReturnType<typeof planFile> | Promise<ReturnType<typeof planFile>>): Promise<Change[]> {
  const p = await plan;
  if (p.kind === 'ok') throw new Error('expected a change');
  return p.changes;
}

describe('secrets in output', () => {
  it('--json masks a secret holding a quote, a backslash and a newline (masked before serialising)', async () => {
    const value = 'pa"ss\\wo\nrd-json';
    const s = secret(value);
    const { json } = await outputs([result([{ summary: `set password ${s.reveal()}` }], { reason: value })]);
    expect(json).not.toContain(value);
    expect(json).not.toContain(JSON.stringify(value).slice(1, -1));
    expect(JSON.parse(json).events[0].changes[0].summary).toBe('set password ********');
  });

  it('the text diff shows no line of a multi-line secret (a PEM key written to a file)', async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\nAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2\n-----END PRIVATE KEY-----';
    secret(key);
    // content built from the key without the role saying so: detected because it holds a known secret
    const changes = await changesOf(planFile({ exists: false }, { path: '/etc/tls/key.pem', content: `${key}\n` }));
    const { text, json } = await outputs([result(changes)]);
    for (const line of key.split('\n')) {
      expect(text).not.toContain(line);
      expect(json).not.toContain(line);
    }
    expect(text).toContain('/etc/tls/key.pem: content changed, secret — not shown');
  });

  it('a rotated secret: neither the new value nor the OLD one is shown, only sizes and sha256 (text and JSON)', async () => {
    const oldValue = 'old-pass-7Hq2'; // on the host, no longer known as a secret
    const newValue = secret('new-pass-Zk91');
    const before = `vrrp {\n  auth_pass ${oldValue}\n}\n`;
    const after = `vrrp {\n  auth_pass ${newValue.reveal()}\n}\n`;
    const ctx = new FixtureContext([[fileInfo('/etc/keepalived/keepalived.conf'), existing(before)]]);
    const changes = await changesOf(file({ path: '/etc/keepalived/keepalived.conf', content: after, sensitive: true }).plan(ctx));
    expect(changes[0]!.diff).toEqual({
      path: '/etc/keepalived/keepalived.conf',
      sensitive: true,
      before: { bytes: Buffer.byteLength(before), sha256: sha(before) },
      after: { bytes: Buffer.byteLength(after), sha256: sha(after) },
    });
    const { text, json } = await outputs([result(changes)]);
    for (const out of [text, json]) {
      expect(out).not.toContain(oldValue);
      expect(out).not.toContain(newValue.reveal());
      expect(out).toContain(sha(before));
      expect(out).toContain(sha(after));
    }
    expect(text).toContain('content changed, secret — not shown');
    expect(text).toContain(`before: ${Buffer.byteLength(before)} bytes, sha256 ${sha(before)}`);
  });

  it('a template that reveals a secret is sensitive, so the old content on the host is not shown either', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-secret-tpl-'));
    const src = join(dir, 'auth.conf.hbs');
    writeFileSync(src, 'user admin\npassword {{reveal pass}}\n');
    const ctx = new FixtureContext([[fileInfo('/etc/auth.conf'), existing('user admin\npassword previous-9xQ\n')]]);
    const changes = await changesOf(template({ path: '/etc/auth.conf', src, data: { pass: secret('current-4Lm') } }).plan(ctx));
    expect(changes[0]!.diff?.sensitive).toBe(true);
    const { text, json } = await outputs([result(changes)]);
    expect(text + json).not.toContain('previous-9xQ');
    expect(text + json).not.toContain('current-4Lm');
  });

  it('a template without secrets still shows its diff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-secret-tpl-'));
    const src = join(dir, 'plain.conf.hbs');
    writeFileSync(src, 'port {{port}}\n');
    const ctx = new FixtureContext([[fileInfo('/etc/plain.conf'), existing('port 80\n')]]);
    const changes = await changesOf(template({ path: '/etc/plain.conf', src, data: { port: 8080 } }).plan(ctx));
    expect(changes[0]!.diff).toEqual({ path: '/etc/plain.conf', before: 'port 80\n', after: 'port 8080\n' });
    const { text } = await outputs([result(changes)]);
    expect(text).toContain('-port 80');
    expect(text).toContain('+port 8080');
  });

  it('a failure message and stderr holding a multi-line secret are masked before they are split and indented', async () => {
    const value = 'line-one-secret\nline-two-secret';
    secret(value);
    const error = { message: `could not log in with\n${value}`, command: 'login ********', exitCode: 1, stderr: `denied: ${value}\n` };
    const { text, json } = await outputs([result([], { status: 'failed', check: false, error })]);
    for (const line of value.split('\n')) {
      expect(text).not.toContain(line);
      expect(json).not.toContain(line);
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostResult, Recap, RunEvent } from '../engine/events.js';
import { fileDiff } from '../ops/op.js';
import { runLabwright } from '../cli/labwright.js';
import { captureIo } from '../../test/support/io.js';
import { formatDetails } from './group.js';
import { JsonReporter } from './json.js';
import { PlainReporter } from './plain.js';

/** Output that scales to many hosts: the same change on several hosts is printed once, with the host list. */
const HOSTS = ['w1', 'w2', 'w3', 'w4', 'w5'];
const TASK = 'motd : write motd';
const motd = (host: string, after: string): HostResult => ({
  type: 'host:result',
  host,
  task: TASK,
  handler: false,
  status: 'changed',
  check: false,
  changes: [{ summary: 'update /etc/motd', diff: fileDiff('/etc/motd', 'old\n', after) }],
  durationMs: 3,
});
const failed = (host: string): HostResult => ({
  type: 'host:result',
  host,
  task: TASK,
  handler: false,
  status: 'failed',
  check: false,
  error: { message: 'command failed (exit 1): install motd', command: 'install motd', exitCode: 1, stderr: 'disk full' },
  durationMs: 3,
});
const recap: Recap = { hosts: Object.fromEntries(HOSTS.map((h) => [h, { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 }])) };

/** The events of a play of two tasks on five hosts, results arriving in a shuffled order. */
function feed(): RunEvent[] {
  return [
    { type: 'play:start', play: 'motd', hosts: HOSTS, check: false },
    { type: 'task:start', task: TASK, handler: false },
    motd('w3', 'welcome\n'),
    failed('w4'),
    motd('w1', 'welcome\n'),
    failed('w5'),
    motd('w2', 'welcome\n'),
    { type: 'task:start', task: 'motd : check', handler: false },
    ...HOSTS.slice(0, 3).map((host): HostResult => ({ type: 'host:result', host, task: 'motd : check', handler: false, status: 'ok', check: false, reason: 'fine', durationMs: 1 })),
    { type: 'play:end', play: 'motd' },
  ];
}

async function plain(events: RunEvent[], opts = { diff: true, verbose: 0 }): Promise<string> {
  let out = '';
  const reporter = new PlainReporter(opts, (s) => (out += s));
  for (const e of events) reporter.event(e);
  await reporter.finish(recap);
  return out;
}

describe('plain output groups the same change on several hosts', () => {
  it('5 hosts: the 3 identical changes are one line with the host list (play order), the diff once; failures stay per host', async () => {
    const out = await plain(feed());
    expect(out).toContain('changed: [w1, w2, w3] - update /etc/motd\n');
    expect(out.match(/update \/etc\/motd/g)).toHaveLength(1);
    expect(out.match(/\+welcome/g)).toHaveLength(1);
    expect(out.match(/^failed: \[w4\]$/gm)).toHaveLength(1);
    expect(out.match(/^failed: \[w5\]$/gm)).toHaveLength(1);
    expect(out.match(/stderr: disk full/g)).toHaveLength(2);
    // in the play's host order, under the task's banner, before the next task
    const at = (s: string) => out.indexOf(s);
    expect(at('TASK [motd : write motd]')).toBeLessThan(at('changed: [w1, w2, w3]'));
    expect(at('changed: [w1, w2, w3]')).toBeLessThan(at('failed: [w4]'));
    expect(at('failed: [w4]')).toBeLessThan(at('failed: [w5]'));
    expect(at('failed: [w5]')).toBeLessThan(at('TASK [motd : check]'));
    // unchanged hosts keep a line each
    expect(out).toContain('ok: [w1] fine\nok: [w2] fine\nok: [w3] fine\n');
  });

  it('the same change with different diffs: one line, each distinct diff once under the hosts that have it', async () => {
    const out = await plain([
      { type: 'play:start', play: 'motd', hosts: HOSTS, check: false },
      { type: 'task:start', task: TASK, handler: false },
      motd('w1', 'hello\n'),
      motd('w2', 'bonjour\n'),
      motd('w3', 'hello\n'),
      { type: 'play:end', play: 'motd' },
    ]);
    expect(out).toContain('changed: [w1, w2, w3] - update /etc/motd\n');
    expect(out).toContain('    diff on [w1, w3]:\n');
    expect(out).toContain('    diff on [w2]:\n');
    expect(out.match(/\+hello/g)).toHaveLength(1);
    expect(out.match(/\+bonjour/g)).toHaveLength(1);
  });

  it('a task\'s results are held until the task ends', async () => {
    let out = '';
    const reporter = new PlainReporter({ diff: false, verbose: 0 }, (s) => (out += s));
    const events = feed();
    for (const e of events.slice(0, 7)) reporter.event(e);
    expect(out).toContain('TASK [motd : write motd]');
    expect(out).not.toContain('changed:');
    reporter.event(events[7]);
    expect(out).toContain('changed: [w1, w2, w3] - update /etc/motd');
  });

  it('a result that comes after the next task started (strategy free) is shown under its own task banner again', async () => {
    const out = await plain([
      { type: 'play:start', play: 'motd', hosts: HOSTS, check: false },
      { type: 'task:start', task: TASK, handler: false },
      motd('w1', 'x\n'),
      { type: 'task:start', task: 'motd : check', handler: false },
      motd('w2', 'x\n'),
      { type: 'play:end', play: 'motd' },
    ]);
    expect(out.match(/TASK \[motd : write motd\]/g)).toHaveLength(2);
    expect(out.lastIndexOf('TASK [motd : write motd]')).toBeGreaterThan(out.indexOf('TASK [motd : check]'));
    expect(out.lastIndexOf('TASK [motd : write motd]')).toBeLessThan(out.indexOf('changed: [w2]'));
  });

  it('on a terminal (the details printed when a play ends) the same change is grouped too, each task apart, an abort note in its place', () => {
    const results = feed().filter((e): e is HostResult => e.type === 'host:result' && e.status !== 'ok');
    const text = formatDetails([...results, 'NO MORE HOSTS LEFT: 2 of 5 hosts failed'], HOSTS, { diff: true, verbose: 0 });
    expect(text).toContain(`[${TASK}] changed: [w1, w2, w3] - update /etc/motd\n`);
    expect(text.match(/\+welcome/g)).toHaveLength(1);
    expect(text).toContain(`[${TASK}] failed: [w4]`);
    expect(text).toContain(`[${TASK}] failed: [w5]`);
    expect(text.indexOf('failed: [w5]')).toBeLessThan(text.indexOf('NO MORE HOSTS LEFT'));
  });

  it('--json stays one result per host', async () => {
    let json = '';
    const reporter = new JsonReporter((s) => (json += s));
    for (const e of feed()) reporter.event(e);
    await reporter.finish(recap);
    const results = JSON.parse(json).events.filter((e: RunEvent) => e.type === 'host:result' && e.task === TASK);
    expect(results.map((e: HostResult) => e.host)).toEqual(['w3', 'w4', 'w1', 'w5', 'w2']);
  });

  it('a real run on 5 local hosts (labwright exec): the same output is one line for all, a different one its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-group-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `all:\n  vars: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n  hosts: { ${HOSTS.map((h) => `${h}: `).join(', ')} }\n`,
    );
    const io = captureIo();
    // -f 1: w1 finds no file and creates it; w2…w5 find it
    const code = await runLabwright(['exec', 'all', '-i', inventory, '-f', '1', '--', `test -e ${dir}/seen && echo again || { touch ${dir}/seen; echo first; }`], io);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/changed: \[w1\]\n    - run: .*\n    stdout: first\n/);
    expect(io.stdout).toMatch(/changed: \[w2, w3, w4, w5\] - run: .*\n    stdout: again\n/);
    expect(io.stdout.match(/stdout: again/g)).toHaveLength(1);
  });
});

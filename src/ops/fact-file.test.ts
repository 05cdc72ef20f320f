import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileInfo, sysctlValue } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { factFile } from './fact-file.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const forwarding = sysctlValue('net.ipv4.ip_forward');

describe('factFile', () => {
  const op = () =>
    factFile({
      path: '/etc/x.conf',
      facts: [forwarding],
      render: (value) => (value === undefined ? { content: 'forward=0\n', assumption: 'no such key' } : `forward=${value}\n`),
      validate: (f) => sh`check ${f}`,
    });

  it('renders from the facts, then plans like file (diff, validate, atomic write)', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/x.conf'), { exists: false }], [forwarding, '1']]);
    const plan = await ctx.planAndApply(op());
    expect(plan.kind).toBe('change');
    if (plan.kind === 'ok') return;
    expect(plan.changes[0]!.diff).toEqual({ path: '/etc/x.conf', before: null, after: 'forward=1\n' });
    expect(ctx.commands[0]!.opts?.stdin).toBe('forward=1\n');
    expect(ctx.commands[0]!.cmd.text).toContain('check ');
    expect(op().facts.map((f) => f.id)).toEqual([fileInfo('/etc/x.conf').id, forwarding.id]);
  });

  it('is ok when the rendered content is there', async () => {
    const c = 'forward=1\n';
    const ctx = new FixtureContext([[fileInfo('/etc/x.conf'), { exists: true, type: 'file', mode: '0644', sha256: sha(c), content: c }], [forwarding, '1']]);
    expect(await ctx.planAndApply(op())).toEqual({ kind: 'ok', reason: '/etc/x.conf already has the wanted content' });
  });

  it('a guess makes the plan unpredictable and says what was assumed', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/x.conf'), { exists: false }], [forwarding, undefined]]);
    const plan = await op().plan(ctx);
    expect(plan.kind).toBe('unpredictable');
    if (plan.kind === 'ok') return;
    expect(plan.changes.map((c) => c.summary)).toEqual(['create /etc/x.conf', 'content not certain: no such key']);
  });

  it('a render error fails the plan (the task fails, nothing is written)', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/x.conf'), { exists: false }], [forwarding, '1']]);
    const failing = factFile({ path: '/etc/x.conf', facts: [forwarding], render: () => { throw new Error('no backends'); } });
    await expect(failing.plan(ctx)).rejects.toThrow('no backends');
    expect(ctx.commands).toHaveLength(0);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandSucceeds, debPackages, fileInfo, moduleLoaded, pathExists, sysctlValue, unitState, userEntry, type FileInfo } from '../facts/builtin.js';
import { sh } from '../shell/quote.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { apt } from './packages.js';
import { command } from './command.js';
import { absent, directory, file } from './file.js';
import { kernelModule, kernelModules, sysctl, sysctls } from './kernel.js';
import { blockInFile, lineInFile } from './lines.js';
import { service } from './service.js';
import { user } from './user.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const existing = (content: string, extra: Partial<FileInfo> = {}): FileInfo => ({
  exists: true, type: 'file', owner: 'root', group: 'root', mode: '0644', size: content.length, sha256: sha(content), content, ...extra,
});

describe('file', () => {
  it('creates a missing file atomically, with a diff from nothing', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/a.conf'), { exists: false }]]);
    const plan = await ctx.planAndApply(file({ path: '/etc/a.conf', content: 'x=1\n', mode: '0644', owner: 'root', group: 'root' }));
    expect(plan.kind).toBe('change');
    if (plan.kind === 'ok') return;
    expect(plan.changes[0].summary).toBe('create /etc/a.conf (0644 root:root)');
    expect(plan.changes[0].diff).toEqual({ path: '/etc/a.conf', before: null, after: 'x=1\n' });
    const script = ctx.commands[0].cmd.text;
    expect(script).toMatch(/lw_tmp=\/etc\/\.a\.conf\.lwtmp\.[0-9a-f]{12}\n/);
    expect(script).toContain(`mv -f "$lw_tmp" /etc/a.conf`);
    expect(ctx.commands[0].opts?.stdin).toBe('x=1\n');
  });

  it('is ok when content and attributes match, and says why', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/a.conf'), existing('x=1\n')]]);
    const plan = await ctx.planAndApply(file({ path: '/etc/a.conf', content: 'x=1\n', mode: '644' }));
    expect(plan).toEqual({ kind: 'ok', reason: '/etc/a.conf already has the wanted content (0644)' });
    expect(ctx.commands).toHaveLength(0);
  });

  it('updates content with a before/after diff and validates before moving into place', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/a.conf'), existing('x=1\n')]]);
    const plan = await ctx.planAndApply(file({ path: '/etc/a.conf', content: 'x=2\n', validate: (f) => sh`check-conf ${f}` }));
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes[0].diff).toEqual({ path: '/etc/a.conf', before: 'x=1\n', after: 'x=2\n' });
    const script = ctx.commands[0].cmd.text;
    expect(script.indexOf('check-conf')).toBeGreaterThan(script.indexOf('cat >'));
    expect(script.indexOf('check-conf')).toBeLessThan(script.indexOf('mv -f'));
  });

  it('fixes only the mode when only the mode differs', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/a.conf'), existing('x\n', { mode: '0600' })]]);
    const plan = await ctx.planAndApply(file({ path: '/etc/a.conf', content: 'x\n', mode: '0644' }));
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes.map((c) => c.summary)).toEqual(['/etc/a.conf: mode 0600 → 0644']);
    expect(ctx.shown[0]).toContain('chmod 0644 /etc/a.conf');
    expect(ctx.shown[0]).not.toContain('cat >');
  });

  it('refuses to replace a directory or a symlink with a file while planning (so --check fails as the apply would)', async () => {
    const ctx = new FixtureContext([
      [fileInfo('/etc/d'), { exists: true, type: 'directory', mode: '0755' }],
      [fileInfo('/etc/resolv.conf'), { ...existing('nameserver 127.0.0.53\n'), type: 'symlink' }],
    ]);
    await expect(file({ path: '/etc/d', content: 'x' }).plan(ctx)).rejects.toThrow('/etc/d is a directory, not a file: refusing to replace it');
    await expect(file({ path: '/etc/resolv.conf', content: 'x' }).plan(ctx)).rejects.toThrow('/etc/resolv.conf is a symlink, not a file: refusing to replace it');
    expect(ctx.commands).toEqual([]);
  });
});

describe('directory and absent', () => {
  it('creates a directory with parents and mode', async () => {
    const ctx = new FixtureContext([[fileInfo('/srv/x'), { exists: false }]]);
    await ctx.planAndApply(directory({ path: '/srv/x', mode: '0750' }));
    expect(ctx.shown[0]).toContain('mkdir -p /srv/x && chmod 0750 /srv/x');
  });
  it('refuses to replace a file with a directory while planning', async () => {
    const ctx = new FixtureContext([[fileInfo('/srv/x'), existing('x\n')]]);
    await expect(directory({ path: '/srv/x' }).plan(ctx)).rejects.toThrow('/srv/x is a file, not a directory: refusing to replace it');
    expect(ctx.commands).toEqual([]);
  });
  it('removes a present file, ok when absent', async () => {
    const present = new FixtureContext([[fileInfo('/tmp/f'), existing('old\n')]]);
    const plan = await present.planAndApply(absent({ path: '/tmp/f' }));
    expect(plan.kind === 'change' && plan.changes[0].diff).toEqual({ path: '/tmp/f', before: 'old\n', after: null });
    expect(present.shown).toEqual(['rm -f -- /tmp/f']);
    const gone = new FixtureContext([[fileInfo('/tmp/f'), { exists: false }]]);
    expect(await gone.planAndApply(absent({ path: '/tmp/f' }))).toEqual({ kind: 'ok', reason: '/tmp/f is already absent' });
  });
});

describe('lineInFile and blockInFile', () => {
  it('replaces the last matching line', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/f'), existing('a=1\nb=1\na=2\n')]]);
    const plan = await lineInFile({ path: '/etc/f', line: 'a=3', regexp: /^a=/ }).plan(ctx);
    expect(plan.kind === 'change' && plan.changes[0].diff?.after).toBe('a=1\nb=1\na=3\n');
  });
  it('appends when nothing matches and creates a missing file', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/f'), { exists: false }]]);
    const plan = await lineInFile({ path: '/etc/f', line: 'x' }).plan(ctx);
    expect(plan.kind === 'change' && plan.changes[0].diff?.after).toBe('x\n');
  });
  it('is ok when the line is there, and removes it with state absent', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/f'), existing('x\ny\n')]]);
    expect((await lineInFile({ path: '/etc/f', line: 'x' }).plan(ctx)).kind).toBe('ok');
    const plan = await lineInFile({ path: '/etc/f', line: 'x', state: 'absent' }).plan(ctx);
    expect(plan.kind === 'change' && plan.changes[0].diff?.after).toBe('y\n');
  });
  it('inserts and replaces a marked block, and removes it', async () => {
    const ctx = new FixtureContext([[fileInfo('/etc/f'), existing('keep\n')]]);
    const add = await blockInFile({ path: '/etc/f', block: 'a\nb' }).plan(ctx);
    const added = 'keep\n# BEGIN LABWRIGHT MANAGED BLOCK\na\nb\n# END LABWRIGHT MANAGED BLOCK\n';
    expect(add.kind === 'change' && add.changes[0].diff?.after).toBe(added);
    const ctx2 = new FixtureContext([[fileInfo('/etc/f'), existing(added + 'tail\n')]]);
    const replace = await blockInFile({ path: '/etc/f', block: 'c' }).plan(ctx2);
    expect(replace.kind === 'change' && replace.changes[0].diff?.after).toBe('keep\n# BEGIN LABWRIGHT MANAGED BLOCK\nc\n# END LABWRIGHT MANAGED BLOCK\ntail\n');
    const remove = await blockInFile({ path: '/etc/f', block: 'c', state: 'absent' }).plan(ctx2);
    expect(remove.kind === 'change' && remove.changes[0].diff?.after).toBe('keep\ntail\n');
  });
});

describe('apt', () => {
  it('installs only the missing packages, in one call', async () => {
    const ctx = new FixtureContext([[debPackages(['dnsmasq', 'haproxy', 'curl']), new Map([['curl', '7.88']])]]);
    const plan = await ctx.planAndApply(apt({ packages: ['dnsmasq', 'haproxy', 'curl'] }));
    expect(plan.kind === 'change' && plan.changes[0].summary).toBe('install dnsmasq haproxy');
    expect(ctx.shown).toHaveLength(1);
    expect(ctx.shown[0]).toMatch(/^DEBIAN_FRONTEND=noninteractive apt-get install -y .* dnsmasq haproxy$/);
  });
  it('is ok when all are installed; removes present ones with state absent', async () => {
    const ctx = new FixtureContext([[debPackages(['curl']), new Map([['curl', '7.88']])]]);
    expect((await apt({ packages: ['curl'] }).plan(ctx)).kind).toBe('ok');
    await ctx.planAndApply(apt({ packages: ['curl'], state: 'absent' }));
    expect(ctx.shown[0]).toContain('apt-get remove -y -q curl');
  });
});

describe('service', () => {
  const state = (active: string, enabled: string, loaded = true) => ({ loaded, active, enabled, needsDaemonReload: false });
  it('starts and enables a stopped, disabled unit', async () => {
    const ctx = new FixtureContext([[unitState('haproxy'), state('inactive', 'disabled')]]);
    await ctx.planAndApply(service({ name: 'haproxy', state: 'started', enabled: true }));
    expect(ctx.shown).toEqual(['systemctl enable -- haproxy', 'systemctl start -- haproxy']);
  });
  it('is ok when running and enabled', async () => {
    const ctx = new FixtureContext([[unitState('haproxy'), state('active', 'enabled')]]);
    expect(await service({ name: 'haproxy', state: 'started', enabled: true }).plan(ctx)).toEqual({ kind: 'ok', reason: 'haproxy is active, enabled' });
  });
  it('reloads a running unit, starts a stopped one instead', async () => {
    const running = new FixtureContext([[unitState('haproxy'), state('active', 'enabled')]]);
    await running.planAndApply(service({ name: 'haproxy', state: 'reloaded' }));
    expect(running.shown).toEqual(['systemctl reload -- haproxy']);
    const stopped = new FixtureContext([[unitState('haproxy'), state('inactive', 'enabled')]]);
    await stopped.planAndApply(service({ name: 'haproxy', state: 'reloaded' }));
    expect(stopped.shown).toEqual(['systemctl start -- haproxy']);
  });
  it('says in check mode that the unit is not installed yet instead of failing', async () => {
    const ctx = new FixtureContext([[unitState('dnsmasq'), state('inactive', '', false)]]);
    const plan = await service({ name: 'dnsmasq', state: 'started' }).plan(ctx);
    expect(plan.kind === 'change' && plan.changes[0].summary).toBe('start dnsmasq (unit not installed yet)');
  });
});

describe('sysctl and kernel modules', () => {
  it('sets runtime and persists, each only when needed', async () => {
    const ctx = new FixtureContext([
      [sysctlValue('net.ipv4.ip_forward'), '0'],
      [fileInfo('/etc/sysctl.d/99-labwright.conf'), existing('net.ipv4.ip_forward = 1\n')],
    ]);
    const plan = await ctx.planAndApply(sysctl({ name: 'net.ipv4.ip_forward', value: 1 }));
    expect(plan.kind === 'change' && plan.changes.map((c) => c.summary)).toEqual(['sysctl net.ipv4.ip_forward: 0 → 1']);
    expect(ctx.shown).toEqual(['sysctl -w net.ipv4.ip_forward=1']);
  });
  it('loads and persists a module', async () => {
    const ctx = new FixtureContext([[moduleLoaded('br_netfilter'), false], [fileInfo('/etc/modules-load.d/br_netfilter.conf'), { exists: false }]]);
    const plan = await ctx.planAndApply(kernelModule({ name: 'br_netfilter' }));
    expect(plan.kind === 'change' && plan.changes.map((c) => c.summary)).toEqual(['load kernel module br_netfilter', 'create /etc/modules-load.d/br_netfilter.conf (0644)']);
  });
});

describe('command', () => {
  const run = sh`kubeadm init`;
  it('without a guard is unpredictable (check mode must not call it ok)', async () => {
    const plan = await command({ run }).plan(new FixtureContext());
    expect(plan.kind).toBe('unpredictable');
  });
  it('creates / removes / unless guards decide from facts', async () => {
    expect((await command({ run, creates: '/etc/kubernetes/admin.conf' }).plan(new FixtureContext([[pathExists('/etc/kubernetes/admin.conf'), true]]))).kind).toBe('ok');
    expect((await command({ run, creates: '/etc/kubernetes/admin.conf' }).plan(new FixtureContext([[pathExists('/etc/kubernetes/admin.conf'), false]]))).kind).toBe('change');
    expect((await command({ run, removes: '/x' }).plan(new FixtureContext([[pathExists('/x'), false]]))).kind).toBe('ok');
    const check = sh`test -f /y`;
    expect((await command({ run, unless: check }).plan(new FixtureContext([[commandSucceeds(check), true]]))).kind).toBe('ok');
  });
  it('passes its own timeout to the command (a ceiling other than the host\'s)', async () => {
    const ctx = new FixtureContext();
    await ctx.planAndApply(command({ run, timeoutMs: 1_800_000 }));
    expect(ctx.commands.map((c) => c.opts?.timeoutMs)).toEqual([1_800_000]);
  });
});

describe('user', () => {
  it('creates a missing user, ok when present', async () => {
    const ctx = new FixtureContext([[userEntry('bench'), undefined]]);
    await ctx.planAndApply(user({ name: 'bench' }));
    expect(ctx.shown).toEqual(['useradd --create-home -- bench']);
    const there = new FixtureContext([[userEntry('bench'), { name: 'bench', uid: 1001, gid: 1001, home: '/home/bench', shell: '/bin/sh' }]]);
    expect((await user({ name: 'bench' }).plan(there)).kind).toBe('ok');
  });
});

describe('apt pins and architectures', () => {
  it('a pinned package at another version is installed at the pinned one; :arch names match', async () => {
    const ctx = new FixtureContext([[debPackages(['kubeadm', 'libc6:amd64']), new Map([['kubeadm', '1.31.0-1.1'], ['libc6', '2.36']])]]);
    const plan = await ctx.planAndApply(apt({ packages: ['kubeadm=1.32.2-1.1', 'libc6:amd64'] }));
    expect(plan.kind === 'change' && plan.changes[0].summary).toBe('install kubeadm=1.32.2-1.1');
    const same = new FixtureContext([[debPackages(['kubeadm']), new Map([['kubeadm', '1.32.2-1.1']])]]);
    expect((await apt({ packages: ['kubeadm=1.32.2-1.1'] }).plan(same)).kind).toBe('ok');
  });
});

describe('apt package names', () => {
  it('refuses anything apt-get could read as an option or a path', () => {
    expect(() => apt({ packages: ['-o', 'Dpkg::Pre-Invoke=touch /x'] })).toThrow(/not a Debian package name: "-o"/);
    expect(() => apt({ packages: ['kubeadm=1.32.2-1.1', 'libc6:amd64', 'g++'] })).not.toThrow();
  });
});

describe('several lines of one file', () => {
  it('sysctls plan one edit of their file, so check mode shows the whole new file', async () => {
    const ctx = new FixtureContext([
      [sysctlValue('net.ipv4.ip_forward'), '0'],
      [sysctlValue('net.bridge.bridge-nf-call-iptables'), '1'],
      [fileInfo('/etc/sysctl.d/k8s.conf'), { exists: false }],
    ]);
    const plan = await sysctls({ values: { 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1 }, file: '/etc/sysctl.d/k8s.conf' }).plan(ctx);
    if (plan.kind === 'ok') throw new Error('expected a change');
    expect(plan.changes.map((c) => c.summary)).toEqual(['sysctl net.ipv4.ip_forward: 0 → 1', 'create /etc/sysctl.d/k8s.conf (0644)']);
    expect(plan.changes[1].diff?.after).toBe('net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n');
  });
  it('kernel modules share one modules-load.d file', async () => {
    const ctx = new FixtureContext([
      [moduleLoaded('overlay'), true],
      [moduleLoaded('br_netfilter'), true],
      [fileInfo('/etc/modules-load.d/k8s.conf'), existing('overlay\n')],
    ]);
    const plan = await kernelModules({ modules: [{ name: 'overlay' }, { name: 'br_netfilter' }], file: '/etc/modules-load.d/k8s.conf' }).plan(ctx);
    expect(plan.kind === 'change' && plan.changes.map((c) => [c.summary, c.diff?.after])).toEqual([['update /etc/modules-load.d/k8s.conf', 'overlay\nbr_netfilter\n']]);
  });
});

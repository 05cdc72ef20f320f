import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FixtureContext } from '../../test/support/fixture-context.js';
import type { ExecOptions, ExecResult } from '../connection/types.js';
import { debPackages, fileInfo, moduleLoaded, pathExists } from '../facts/builtin.js';
import type { Command } from '../shell/quote.js';
import { fetchFile } from './fetch.js';
import { kernelModule } from './kernel.js';
import { heldPackages, pinnedPackages } from './pinned-packages.js';
import { activeSwaps, commentOutSwap, swapOff } from './swap.js';
import { CommandFailed } from '../errors.js';

/** Table-driven planning tests of the ops kubeadm-init needs: facts in, commands out, nothing connects. */

const KUBE = { kubeadm: '1.32.2-1.1', kubelet: '1.32.2-1.1', kubectl: '1.32.2-1.1' };
const names = Object.keys(KUBE);

describe('pinnedPackages', () => {
  it('installs missing packages at their pinned versions, then holds them', async () => {
    const ctx = new FixtureContext([
      [debPackages(names), new Map()],
      [heldPackages(), new Set()],
      [pathExists('/etc/kubernetes/kubelet.conf'), false],
    ]);
    const plan = await ctx.planAndApply(pinnedPackages({ packages: KUBE, updateCache: true, keepVersionWhile: { path: '/etc/kubernetes/kubelet.conf', reason: 'r' } }));
    expect(plan.kind).toBe('change');
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual([
      'install kubeadm=1.32.2-1.1 kubelet=1.32.2-1.1 kubectl=1.32.2-1.1',
      'hold kubeadm kubelet kubectl (apt-mark)',
    ]);
    expect(ctx.shown).toEqual([
      'DEBIAN_FRONTEND=noninteractive apt-get update -q',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --allow-change-held-packages --allow-downgrades -o Dpkg::Options::=--force-confold kubeadm=1.32.2-1.1 kubelet=1.32.2-1.1 kubectl=1.32.2-1.1',
      'apt-mark hold kubeadm kubelet kubectl',
    ]);
  });

  it('is ok when installed at the pin and held; holds only what is not held, without apt-get', async () => {
    const installed = new Map(Object.entries(KUBE));
    const done = new FixtureContext([[debPackages(names), installed], [heldPackages(), new Set(names)]]);
    const plan = await done.planAndApply(pinnedPackages({ packages: KUBE, updateCache: true }));
    expect(plan).toEqual({ kind: 'ok', reason: 'kubeadm 1.32.2-1.1, kubelet 1.32.2-1.1, kubectl 1.32.2-1.1 installed and held' });
    expect(done.shown).toEqual([]);

    const unheld = new FixtureContext([[debPackages(names), installed], [heldPackages(), new Set(['kubeadm'])]]);
    await unheld.planAndApply(pinnedPackages({ packages: KUBE, updateCache: true }));
    expect(unheld.shown).toEqual(['apt-mark hold kubelet kubectl']);
  });

  it('plans another installed version as a version change, and refuses it on a node of a cluster', async () => {
    const installed = new Map([...Object.entries(KUBE), ['kubelet', '1.31.6-1.1']]);
    const fresh = new FixtureContext([[debPackages(names), installed], [heldPackages(), new Set(names)], [pathExists('/etc/kubernetes/kubelet.conf'), false]]);
    const args = { packages: KUBE, keepVersionWhile: { path: '/etc/kubernetes/kubelet.conf', reason: 'upgrade it with kubeadm upgrade' } };
    const plan = await fresh.planAndApply(pinnedPackages(args));
    // held again afterwards: apt-get install of another version drops the hold
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual(['kubelet 1.31.6-1.1 → 1.32.2-1.1', 'hold kubelet (apt-mark)']);
    expect(fresh.shown[0]).toContain('--allow-change-held-packages --allow-downgrades -o Dpkg::Options::=--force-confold kubelet=1.32.2-1.1');
    expect(fresh.shown.at(-1)).toBe('apt-mark hold kubelet');

    const member = new FixtureContext([[debPackages(names), installed], [heldPackages(), new Set(names)], [pathExists('/etc/kubernetes/kubelet.conf'), true]]);
    // refused while planning: a --check says so, as the apply would
    await expect(pinnedPackages(args).plan(member)).rejects.toThrow('kubelet 1.31.6-1.1 (wanted 1.32.2-1.1): upgrade it with kubeadm upgrade');
    expect(member.shown).toEqual([]);
  });

  it('counts a held package (dpkg status "hi") as installed, a removed one ("rc") not', () => {
    const parsed = debPackages(names).parse({ stdout: 'kubeadm\thi \t1.32.2-1.1\nkubelet\tii \t1.32.2-1.1\nkubectl\trc \t1.31.0-1.1\n', code: 0 });
    expect([...parsed]).toEqual([
      ['kubeadm', '1.32.2-1.1'],
      ['kubelet', '1.32.2-1.1'],
    ]);
  });

  it('refuses names that are not package names', () => {
    expect(() => pinnedPackages({ packages: { '-oAPT::x': '1' } })).toThrow(/not a Debian package name/);
    expect(() => pinnedPackages({ packages: { kubeadm: '1.32; reboot' } })).toThrow(/not a Debian package name/);
  });
});

describe('swapOff', () => {
  it('comments out swap lines of fstab only', () => {
    const fstab = 'UUID=1 / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n# /old none swap sw 0 0\nUUID=2 none  swap  sw  0 0\n';
    expect(commentOutSwap(fstab)).toBe('UUID=1 / ext4 errors=remount-ro 0 1\n#/swapfile none swap sw 0 0\n# /old none swap sw 0 0\n#UUID=2 none  swap  sw  0 0\n');
  });

  it('runs swapoff -a only while swap is in use', async () => {
    const fstab = { exists: true, type: 'file' as const, owner: 'root', group: 'root', mode: '0644', content: 'UUID=1 / ext4 defaults 0 1\n', sha256: createHash('sha256').update('UUID=1 / ext4 defaults 0 1\n').digest('hex') };
    const idle = new FixtureContext([[activeSwaps(), []], [fileInfo('/etc/fstab'), fstab]]);
    expect((await idle.planAndApply(swapOff())).kind).toBe('ok');
    expect(idle.shown).toEqual([]);

    const busy = new FixtureContext([[activeSwaps(), ['/dev/sda3']], [fileInfo('/etc/fstab'), fstab]]);
    const plan = await busy.planAndApply(swapOff());
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual(['swapoff -a (in use: /dev/sda3)']);
    expect(busy.shown).toEqual(['swapoff -a']);
  });

  it('parses /proc/swaps', () => {
    const text = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda3                               partition\t999420\t\t0\t\t-2\n';
    expect(activeSwaps().parse({ stdout: text, code: 0 })).toEqual(['/dev/sda3']);
    expect(activeSwaps().parse({ stdout: 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n', code: 0 })).toEqual([]);
  });
});

describe('kernelModule', () => {
  it('takes a module as present when its sign exists (built in, no /sys/module entry)', async () => {
    const ctx = new FixtureContext([
      [moduleLoaded('br_netfilter', '/proc/sys/net/bridge'), true],
      [fileInfo('/etc/modules-load.d/k8s.conf'), { exists: true, type: 'file', owner: 'root', group: 'root', mode: '0644', content: 'br_netfilter\n', sha256: createHash('sha256').update('br_netfilter\n').digest('hex') }],
    ]);
    const plan = await ctx.planAndApply(kernelModule({ name: 'br_netfilter', presentIf: '/proc/sys/net/bridge', file: '/etc/modules-load.d/k8s.conf' }));
    expect(plan.kind).toBe('ok');
    expect(moduleLoaded('br_netfilter', '/proc/sys/net/bridge').command.text).toContain("test -e /proc/sys/net/bridge");
  });

  it('fails with a message saying what to do when modprobe cannot load the module', async () => {
    class NoModprobe extends FixtureContext {
      override async run(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
        await super.run(cmd, opts);
        throw new CommandFailed('h1', cmd.shown, 1, 'modprobe: FATAL: Module br_netfilter not found in directory /lib/modules/6.1.0\n', '');
      }
    }
    const ctx = new NoModprobe([[moduleLoaded('br_netfilter'), false], [fileInfo('/etc/modules-load.d/br_netfilter.conf'), { exists: false }]]);
    const err = await ctx.planAndApply(kernelModule({ name: 'br_netfilter' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailed);
    expect((err as CommandFailed).stderr).toBe(
      "kernel module br_netfilter is not in the kernel and cannot be loaded here (modprobe: FATAL: Module br_netfilter not found in directory /lib/modules/6.1.0); in a container, load it on the host's kernel",
    );
  });
});

describe('fetchFile', () => {
  const content = 'apiVersion: v1\nkind: Config\n';
  const sha = createHash('sha256').update(content).digest('hex');

  class Remote extends FixtureContext {
    override async run(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
      await super.run(cmd, opts);
      return { stdout: Buffer.from(content).toString('base64'), stderr: '', code: 0 };
    }
  }

  it('fetches once, writes 0600 on the controller, then is ok', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'lw-fetch-')), 'sub', 'admin.conf');
    const info = { exists: true, type: 'file' as const, owner: 'root', group: 'root', mode: '0600', sha256: sha, content };
    const ctx = new Remote([[fileInfo('/etc/kubernetes/admin.conf'), info]]);
    const op = fetchFile({ path: '/etc/kubernetes/admin.conf', dest });
    const plan = await ctx.planAndApply(op);
    expect(plan.kind !== 'ok' && plan.changes.map((c) => c.summary)).toEqual([`fetch h1:/etc/kubernetes/admin.conf → ${dest} (0600, on the controller)`]);
    expect(plan.kind !== 'ok' && plan.changes[0]!.diff).toBeUndefined();
    expect(readFileSync(dest, 'utf8')).toBe(content);
    expect(statSync(dest).mode & 0o777).toBe(0o600);
    expect((await op.plan(ctx)).kind).toBe('ok');

    writeFileSync(dest, 'stale\n');
    const again = await op.plan(ctx);
    expect(again.kind !== 'ok' && again.changes[0]!.summary).toBe(`update ${dest} from h1:/etc/kubernetes/admin.conf (0600)`);
  });

  it('refuses a directory while planning, writing nothing on the controller', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'lw-fetch-')), 'admin.conf');
    const ctx = new Remote([[fileInfo('/etc/kubernetes/admin.conf'), { exists: true, type: 'directory', mode: '0755' }]]);
    await expect(fetchFile({ path: '/etc/kubernetes/admin.conf', dest }).plan(ctx)).rejects.toThrow('/etc/kubernetes/admin.conf on h1 is a directory, not a file');
    expect(existsSync(dest)).toBe(false);
  });

  // The old code wrote ./~/.kube/lab-admin.conf under the working directory.
  it('fetches to ~/… in the home directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lw-home-'));
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const info = { exists: true, type: 'file' as const, owner: 'root', group: 'root', mode: '0600', sha256: sha, content };
      await new Remote([[fileInfo('/etc/kubernetes/admin.conf'), info]]).planAndApply(fetchFile({ path: '/etc/kubernetes/admin.conf', dest: '~/.kube/lab-admin.conf' }));
      expect(readFileSync(join(home, '.kube/lab-admin.conf'), 'utf8')).toBe(content);
      expect(existsSync('~')).toBe(false);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('plans a file that does not exist yet as a fetch once it exists', async () => {
    const ctx = new Remote([[fileInfo('/etc/kubernetes/admin.conf'), { exists: false }]]);
    const plan = await fetchFile({ path: '/etc/kubernetes/admin.conf', dest: '/nonexistent/admin.conf' }).plan(ctx);
    expect(plan.kind !== 'ok' && plan.changes[0]!.summary).toBe('fetch h1:/etc/kubernetes/admin.conf → /nonexistent/admin.conf (0600, on the controller) once it exists');
  });
});

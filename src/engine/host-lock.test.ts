import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../connection/index.js';
import type { Host } from '../inventory/types.js';
import { HostLock, lockLocation, runToken } from './host-lock.js';

/** The lock on the controller itself (a local connection): the same script a host runs. */
describe('per-host run lock', () => {
  let dir = '';
  let host: Host;
  let file = '';
  const conn = () => connect(host.name, host.connection);
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const now = () => Math.floor(Date.now() / 1000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lw-lock-'));
    host = { name: 'h', vars: { labwright_state_dir: join(dir, 'state') }, groups: [], connection: { kind: 'local', address: 'h', port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } };
    const where = lockLocation(host);
    file = join(process.getuid?.() === 0 ? where.runDir : where.stateDir, where.name);
  });
  afterEach(() => {
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second run waits briefly, then fails saying which run holds the host; after the first ends it gets in', async () => {
    const first = new HostLock(host, runToken({}));
    await first.acquire(conn(), conn);
    const second = new HostLock(host, runToken({}), 1500);
    await expect(second.acquire(conn(), conn)).rejects.toThrow(/^host is being changed by another run \(pid \d+ on [^,]+, started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    await first.release(conn());
    expect(existsSync(file)).toBe(false);
    await second.acquire(conn(), conn);
    await second.release(conn());
  });

  it('the hosts of one run share the lock (two inventory names for one machine)', async () => {
    const run = {};
    const a = new HostLock(host, runToken(run), 500);
    const b = new HostLock({ ...host, name: 'h-alias' }, runToken(run), 500);
    await a.acquire(conn(), conn);
    await b.acquire(conn(), conn);
    await a.release(conn());
  });

  it('a holder whose sshd process died (controller killed: its connection closed) frees the lock at once', async () => {
    // a process named like sshd stands for the holder's session
    const fake = join(dir, 'sshd-session');
    copyFileSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), fake);
    execFileSync('chmod', ['+x', fake]);
    const holder = spawn(fake, ['60'], { stdio: 'ignore' });
    try {
      execFileSync('sh', ['-c', `mkdir -p "$(dirname "$1")" && printf '%s\\n' "$2" > "$1"`, 'sh', file, `other ${bootId()} ${now() + 600} ${holder.pid} pid 1 on elsewhere, started at then`]);
      await expect(new HostLock(host, runToken({}), 500).acquire(conn(), conn)).rejects.toThrow('host is being changed by another run (pid 1 on elsewhere, started at then)');
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    const next = new HostLock(host, runToken({}), 500);
    await next.acquire(conn(), conn);
    await next.release(conn());
  });

  it('a lock whose lease ran out, or taken before the host rebooted, is free', async () => {
    for (const line of [`other ${bootId()} ${now() - 1} 0 pid 1 on elsewhere`, `other not-this-boot ${now() + 600} 0 pid 1 on elsewhere`]) {
      execFileSync('sh', ['-c', `mkdir -p "$(dirname "$1")" && printf '%s\\n' "$2" > "$1"`, 'sh', file, line]);
      const lock = new HostLock(host, runToken({}), 500);
      await lock.acquire(conn(), conn);
      await lock.release(conn());
    }
    // and one that is leased, with no session to watch, is held
    writeFileSync(file, `other ${bootId()} ${now() + 600} 0 pid 1 on elsewhere\n`);
    await expect(new HostLock(host, runToken({}), 500).acquire(conn(), conn)).rejects.toThrow('another run (pid 1 on elsewhere)');
  });

  it('a run whose lock was taken over stops: the renewal says so', async () => {
    const lock = new HostLock(host, runToken({}), 500);
    await lock.acquire(conn(), conn);
    writeFileSync(file, `other ${bootId()} ${now() + 600} 0 pid 1 on elsewhere\n`);
    await lock.renew(conn());
    expect(lock.lost?.message).toContain('another run took over the host');
    await lock.release(conn());
    expect(existsSync(file)).toBe(true); // not ours to remove
  });
});

import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { HostLock, lockLocation, runToken } from '../../src/engine/host-lock.js';
import { main, play } from '../../src/index.js';
import { loadInventory, type Host } from '../../src/inventory/index.js';
import { becomeCommand, killAfterCommand } from '../../src/connection/command-wrappers.js';
import { Command, quote } from '../../src/shell/quote.js';
import { firewall } from '../../roles/firewall/index.js';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn, shResult } from '../support/lab-shell.js';
import { sshAnswers } from '../support/lab-ssh.js';

/**
 * Guarded changes under hostile timing, on one lab host `g` with the firewall
 * role (its rules file is what a guarded change writes and what the host
 * loads at boot). The "bad" change is a rule dropping the controller's SSH
 * (the lab gateway, port 22); every packet goes to lab addresses only.
 */
const run = promisify(execFile);
const LAB = `gd-${process.pid}`;
const RULES = '/etc/nftables.d/labwright.nft';

let lab: Lab;
let g: LabHost;

/** A second way in for a second run: port 2222, forwarded on the host to its sshd (the bad rule drops only port 22). */
const SECOND_PORT = 2222;
const viaSecondPort = () => ({ proto: 'tcp', ports: [SECOND_PORT], saddr: [lab.network.gateway], comment: 'ssh for a second run' });
const baseline = () => ({ custom_rules: [viaSecondPort()] });
const lockOut = () => ({
  custom_rules: [viaSecondPort(), { proto: 'tcp', ports: [22], saddr: [lab.network.gateway], action: 'drop', comment: 'locks the controller out' }],
});
let secondPortVars: Record<string, unknown>;

/** Runs the firewall role on g through the CLI entry; resolves with exit code and output. */
async function apply(firewallVars: Record<string, unknown>, rollbackAfterSec: number, extra: Record<string, unknown> = {}) {
  const io = captureIo();
  const plays = [play({ name: 'firewall', hosts: 'g', roles: [firewall.with({ rollback_after_sec: rollbackAfterSec })] })];
  const code = await main(plays, ['-i', lab.inventoryPath, '-e', JSON.stringify({ firewall: firewallVars, ...extra })], io);
  return { code, out: io.stdout + io.stderr };
}

async function until(what: string, check: () => Promise<boolean>, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The bad rule is loaded (the change is live, inside its confirmation window). */
const badRuleLive = async () => (await shResult(g, 'nft list table inet labwright 2>/dev/null')).output.includes('locks the controller out');
const unconfirmedMarkers = () => shOn(g, 'ls /var/lib/labwright/rollback/*/.unconfirmed 2>/dev/null || true');
const strip = (table: string) => table.replace(/ # handle \d+/g, '');
const ourTable = async () => strip(await shOn(g, 'nft -a list table inet labwright'));

async function restartHost(h: LabHost): Promise<void> {
  await run('docker', ['restart', '-t', '5', h.containerId], { timeout: 60_000 });
  let state = '';
  for (let i = 0; i < 60 && !/^(running|degraded)$/.test(state); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    state = (await h.exec(['systemctl', 'is-system-running'])).output.trim();
  }
  expect(state).toMatch(/^(running|degraded)$/);
}

describe('guarded changes on a lab host', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'g', groups: ['outsiders'] }] });
    g = lab.host('g');
    const knownHosts = await readFile(lab.knownHostsPath, 'utf8');
    const kh2 = join(dirname(lab.knownHostsPath), 'known_hosts_2222');
    await writeFile(kh2, knownHosts.replace(new RegExp(`^${g.ip.replace(/\./g, '\\.')} `, 'gm'), `[${g.ip}]:${SECOND_PORT} `));
    secondPortVars = { ansible_port: SECOND_PORT, known_hosts_file: kh2 };
    const first = await apply(baseline(), 20);
    expect(first.code, first.out).toBe(0);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('two runs on one host: the second, started while the first holds a bad ruleset in its confirmation window, waits briefly and fails naming the first; the first is rolled back as if alone', async () => {
    await shOn(g, `systemctl is-active --quiet lw-ssh${SECOND_PORT} || systemd-run --unit=lw-ssh${SECOND_PORT} socat TCP-LISTEN:${SECOND_PORT},fork,reuseaddr TCP:127.0.0.1:22`);
    const [fileBefore, tableBefore] = [await shOn(g, `cat ${RULES}`), await ourTable()];
    const first = apply(lockOut(), 40);
    await until('the bad rules to be live', badRuleLive, 60);

    const second = await apply(baseline(), 40, secondPortVars);
    console.log(second.out.split('\n').filter((l) => /another run/.test(l)).join('\n'));
    expect(second.code, second.out).toBe(2);
    expect(second.out).toMatch(/failed: \[g\][^]*host is being changed by another run \(pid \d+ on [^,]+, started at [0-9T:-]+Z\)/);
    expect(await badRuleLive()).toBe(true); // the second run touched nothing

    const { code, out } = await first;
    expect(code, out).toBe(2);
    expect(out).toMatch(/rolled back.*the previous configuration is live again/);
    expect(await shOn(g, `cat ${RULES}`)).toBe(fileBefore);
    expect(await ourTable()).toBe(tableBefore);
    expect(await sshAnswers(lab, g)).toBe(true);
    // the lock went with the first run: the next one gets in
    const next = await apply(baseline(), 40);
    expect(next.code, next.out).toBe(0);
    expect(next.out).toMatch(/g\s+: ok=\d+\s+changed=0/);
  }, 300_000);

  it('a controller killed by SIGKILL while it holds the host does not block the next run', async () => {
    const playbook = join(dirname(fileURLToPath(import.meta.url)), 'hold-host.ts');
    let childOut = '';
    const child = spawn('npx', ['tsx', playbook, '-i', lab.inventoryPath, '--limit', 'g'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (d: Buffer) => (childOut += d.toString()));
    child.stderr.on('data', (d: Buffer) => (childOut += d.toString()));
    try {
      await until('the killed run to hold the host', async () => (await shResult(g, 'test -e /tmp/lw-holding && ls /run/labwright/run-*.lock')).exitCode === 0, 60).catch((e: Error) => {
        throw new Error(`${e.message}:\n${childOut}`);
      });
      expect(child.exitCode, childOut).toBe(null); // still running
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group: npx, tsx and node
      } catch {
        // already gone (the expectation above says why)
      }
    }
    const next = await apply(baseline(), 40);
    expect(next.code, next.out).toBe(0);
    expect(next.out).not.toContain('another run');
    await shOn(g, 'pkill -x sleep || true; rm -f /tmp/lw-holding');
  }, 180_000);

  it('a lock step that runs after its controller died (sent just before the SIGKILL) takes nothing; over ssh, neither does one with no sshd above it; a local one with a live parent does', async () => {
    /** The acquire step the engine sends for `host`, recorded instead of run. */
    const acquireStep = async (host: Host) => {
      let sent: Command | undefined;
      const recorder: Connection = {
        host: host.name,
        roundTrips: 0,
        open: async () => undefined,
        close: async () => undefined,
        exec: async (cmd) => ((sent = cmd), { code: 0, stdout: 'acquired', stderr: '' }),
      };
      await new HostLock(host, runToken({})).acquire(recorder, () => recorder);
      return sent!;
    };
    const host = (await loadInventory([lab.inventoryPath])).hosts.get('g')!;
    const overSsh = await acquireStep(host);
    const overLocal = await acquireStep({ ...host, connection: { ...host.connection, kind: 'local' } });
    const lockFile = `/run/labwright/${lockLocation(host).name}`;
    const result = async (script: string) => {
      await shOn(g, `rm -f ${lockFile}`);
      return shOn(g, `${script}; test -e ${lockFile} && echo locked || echo free`);
    };
    for (const sent of [overSsh, overLocal]) {
      const late = new Command(`sleep 1; ${sent.text}`, `sleep 1; ${sent.shown}`);
      // wrapped as the connection sends it, with become and without
      for (const wrapped of [becomeCommand(killAfterCommand(late, 30_000), 'lab'), killAfterCommand(late, 30_000)]) {
        // orphaned: its outermost wrapper is a child of init when the step starts
        expect(await result(`(${wrapped.text} > /tmp/lw-orphan.out 2>&1 &); sleep 3; cat /tmp/lw-orphan.out`), wrapped.text).toBe('orphaned: the run that sent this is gone\nfree\n');
      }
    }
    // an ssh run's step with its parent alive but no sshd above it (its session process went while it looked): nothing taken
    expect(await result(`timeout -s KILL 30 sh -c ${quote(overSsh.text)}`)).toBe('orphaned: the run that sent this is gone\nfree\n');
    // a local connection's step with its parent alive (no sshd above it, as always there): the lock is taken
    expect(await result(`timeout -s KILL 30 sh -c ${quote(overLocal.text)}`)).toBe('acquired\nlocked\n');
    await shOn(g, `rm -f ${lockFile} /tmp/lw-orphan.out`);
  }, 60_000);

  it('a restart inside the confirmation window boots with the previous rules: labwright-rollback.service rolls the unconfirmed change back before the network', async () => {
    const [fileBefore, tableBefore] = [await shOn(g, `cat ${RULES}`), await ourTable()];
    // a window far longer than the test: only the boot can have rolled it back
    const pending = apply(lockOut(), 300);
    await until('the bad rules to be live', badRuleLive, 60);
    await restartHost(g);

    expect(await shOn(g, `cat ${RULES}`)).toBe(fileBefore);
    expect(await ourTable()).toBe(tableBefore);
    expect(await sshAnswers(lab, g)).toBe(true);
    expect(await unconfirmedMarkers()).toBe('');
    expect(await shOn(g, 'journalctl -b -u labwright-rollback.service -o cat --no-pager')).toMatch(/was not confirmed before the restart: rolling it back/);

    const { code, out } = await pending;
    console.log(out.split('\n').filter((l) => /restarted|rolled back/.test(l)).join('\n'));
    expect(code, out).toBe(2);
    expect(out).toContain('the host restarted before the change was confirmed: labwright-rollback.service put the previous configuration back at boot');
    // at rest again
    const again = await apply(baseline(), 20);
    expect(again.code, again.out).toBe(0);
    expect(again.out, again.out).toMatch(/g\s+: ok=\d+\s+changed=0/);
  }, 300_000);
});

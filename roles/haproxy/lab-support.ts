/**
 * Helpers for the haproxy and keepalived lab tests (keepalived's tests run
 * haproxy too, for its track script). Traffic goes only to lab containers.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { PlayDef } from '../../src/engine/definitions.js';
import type { Lab, LabHost } from '../../test/lab/index.js';
import { captureIo } from '../../test/support/io.js';
import { shOn } from '../../test/support/lab-shell.js';

/** Runs plays through the real CLI entry against the lab's inventory. */
export async function runPlays(lab: Lab, plays: PlayDef[], flags: string[] = []): Promise<{ code: number; out: string }> {
  const io = captureIo();
  const code = await main(plays, ['-i', lab.inventoryPath, ...flags], io);
  return { code, out: io.stdout + io.stderr };
}

/** A fingerprint of every file under /etc and of the given units' states: equal before/after = nothing changed. */
export async function hostFingerprint(host: LabHost, units: string[]): Promise<string> {
  const states = units.map((u) => `systemctl is-active ${u}; systemctl is-enabled ${u}; systemctl show -p MainPID --value ${u}`).join('; ');
  return shOn(host, `find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; (${states}) 2>&1; true`);
}

/** Polls `probe` until it returns a value other than undefined; resolves with it and the time it took. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Connects to ip:port and returns everything received until the peer closes ('' if the connection failed). */
export function tcpRead(ip: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ host: ip, port, timeout: timeoutMs });
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.once('end', () => resolve(data.trim()));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(data.trim());
    });
    socket.once('error', () => resolve(''));
  });
}

/** A tiny TCP server in a container answering every connection with `answer`, as a transient systemd unit. */
export async function startAnswerServer(host: LabHost, unit: string, port: number, answer: string): Promise<void> {
  await shOn(host, `systemctl stop ${unit} 2>/dev/null; systemctl reset-failed ${unit} 2>/dev/null; systemd-run --unit=${unit} socat TCP-LISTEN:${port},fork,reuseaddr SYSTEM:'echo ${answer}'`);
  await waitFor(`${unit} on ${host.name}:${port}`, async () => ((await tcpRead(host.ip, port, 1000)) === answer ? true : undefined), 10_000);
}

/** MainPID and start time of a unit: equal after a reload, different after a restart. */
export async function mainProcess(host: LabHost, unit: string): Promise<{ pid: string; started: string; restarts: string }> {
  const [pid, started, restarts] = (await shOn(host, `systemctl show -p MainPID -p ExecMainStartTimestampMonotonic -p NRestarts --value ${unit}`)).trim().split('\n');
  return { pid: pid!, started: started!, restarts: restarts! };
}

/** The recap line of a host says changed=0. */
export function expectNoChanges(out: string, hosts: string[]): void {
  for (const h of hosts) expect(out).toMatch(new RegExp(`${h}\\s+: ok=\\d+\\s+changed=0\\s+.*failed=0`));
}

/** Writes `content` to `path` in a container (base64 through argv: no quoting issues). */
export async function putFile(host: LabHost, path: string, content: string): Promise<void> {
  await shOn(host, `echo ${Buffer.from(content).toString('base64')} | base64 -d > ${path}`);
}

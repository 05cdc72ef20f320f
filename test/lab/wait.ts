import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Bootable {
  name: string;
  ip: string;
  exec(cmd: string[]): Promise<{ output: string; exitCode: number }>;
}

const POLL_MS = 200;

/** Resolves true once `ip:22` answers with an SSH banner. */
function sshBanner(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port: 22, timeout: 5_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** systemd's state once boot is over ("running", "degraded", …), or the error while it is not yet up. */
async function bootState(host: Bootable): Promise<string> {
  const { output } = await host.exec(['timeout', '30', 'systemctl', 'is-system-running', '--wait']);
  return output.trim();
}

/** A host that did not come up; `message` carries what the host said about sshd and its addresses. */
export class LabHostNotReady extends Error {}

/** What a host says about its sshd and addresses, for a message. */
async function sshDiagnostics(host: Bootable): Promise<string> {
  const { output } = await host
    .exec(['sh', '-c', 'systemctl is-active ssh; systemctl status ssh --no-pager -n 5 2>&1 | tail -n 8; ss -ltn; ip -4 -o addr'])
    .catch((e: Error) => ({ output: `(docker exec failed: ${e.message})` }));
  return output.trim();
}

/** Waits until systemd has finished booting the host and its sshd accepts connections. */
export async function waitUntilReady(host: Bootable, timeoutMs = Number(process.env.LW_BOOT_TIMEOUT ?? 180_000)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = 'not started';
  while (!['running', 'degraded'].includes(state)) {
    if (Date.now() > deadline) throw new LabHostNotReady(`${host.name}: systemd did not finish booting within ${timeoutMs / 1000} s (state: ${state})`);
    state = await bootState(host);
    if (!['running', 'degraded'].includes(state)) await sleep(POLL_MS);
  }
  // booted: sshd answers within seconds unless something is wrong, so give it at most a minute
  const sshDeadline = Math.min(deadline, Date.now() + 60_000);
  while (!(await sshBanner(host.ip))) {
    if (Date.now() > sshDeadline) {
      throw new LabHostNotReady(`${host.name}: sshd does not answer on ${host.ip}:22 (booted; waited until ${new Date(sshDeadline).toISOString()}); the host says:\n${await sshDiagnostics(host)}`);
    }
    await sleep(POLL_MS);
  }
}

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

/** Waits until systemd has finished booting the host and its sshd accepts connections. */
export async function waitUntilReady(host: Bootable, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = 'not started';
  while (!['running', 'degraded'].includes(state)) {
    if (Date.now() > deadline) throw new Error(`${host.name}: systemd did not finish booting within ${timeoutMs / 1000} s (state: ${state})`);
    state = await bootState(host);
    if (!['running', 'degraded'].includes(state)) await sleep(POLL_MS);
  }
  while (!(await sshBanner(host.ip))) {
    if (Date.now() > deadline) throw new Error(`${host.name}: sshd does not answer on ${host.ip}:22 within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

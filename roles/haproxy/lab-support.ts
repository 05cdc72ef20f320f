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

/**
 * A stand-in kube-apiserver health endpoint in a container: HTTPS (a
 * throwaway self-signed certificate) on `port`, `GET /readyz` answering 200
 * "ok", or 500 while /run/<unit>.notready exists (an apiserver that accepts
 * connections but is not ready). python3 and openssl of the lab image.
 */
export async function startReadyzServer(host: LabHost, unit: string, port: number): Promise<void> {
  const script = [
    'import http.server, os, ssl, sys',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    `        ok = self.path == "/readyz" and not os.path.exists("/run/${unit}.notready")`,
    '        body = b"ok" if ok else b"not ready"',
    '        self.send_response(200 if ok else 500)',
    '        self.send_header("Content-Length", str(len(body)))',
    '        self.end_headers()',
    '        self.wfile.write(body)',
    '    def log_message(self, *args):',
    '        pass',
    `s = http.server.ThreadingHTTPServer(("", ${port}), H)`,
    'c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)',
    `c.load_cert_chain("/run/${unit}.crt", "/run/${unit}.key")`,
    's.socket = c.wrap_socket(s.socket, server_side=True)',
    's.serve_forever()',
  ].join('\n');
  await putFile(host, `/run/${unit}.py`, script + '\n');
  await shOn(
    host,
    `test -s /run/${unit}.crt || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=${unit} -keyout /run/${unit}.key -out /run/${unit}.crt 2>/dev/null; ` +
      `systemctl stop ${unit} 2>/dev/null; systemctl reset-failed ${unit} 2>/dev/null; systemd-run --unit=${unit} python3 /run/${unit}.py`,
  );
  await waitFor(`${unit} on ${host.name}:${port}`, async () => ((await host.exec(['curl', '-sfk', '--max-time', '2', `https://127.0.0.1:${port}/readyz`])).exitCode === 0 ? true : undefined), 15_000);
}

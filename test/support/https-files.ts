import type { LabHost } from '../lab/index.js';
import { shOn } from './lab-shell.js';

/**
 * Files served over HTTPS on a lab host's own loopback (127.0.0.1:`port`),
 * with a throwaway certificate added to the host's trust store, so that a
 * role's `curl --proto =https` fetch on that host succeeds without any
 * network beyond the container. `files` maps a name to its content; call
 * again to change them (the server keeps running).
 */
export async function serveHttpsFiles(host: LabHost, port: number, files: Record<string, string>): Promise<void> {
  const dir = `/srv/https-files-${port}`;
  const unit = `https-files-${port}`;
  for (const [name, content] of Object.entries(files)) {
    await shOn(host, `mkdir -p ${dir} && echo ${Buffer.from(content).toString('base64')} | base64 -d > ${dir}/${name}`);
  }
  const server = [
    'import functools, http.server, ssl',
    `h = functools.partial(http.server.SimpleHTTPRequestHandler, directory="${dir}")`,
    `s = http.server.ThreadingHTTPServer(("127.0.0.1", ${port}), h)`,
    'c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)',
    `c.load_cert_chain("/usr/local/share/ca-certificates/${unit}.crt", "/run/${unit}.key")`,
    's.socket = c.wrap_socket(s.socket, server_side=True)',
    's.serve_forever()',
  ].join('\n');
  await shOn(
    host,
    `systemctl is-active -q ${unit} && exit 0; ` +
      `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 ` +
      `-keyout /run/${unit}.key -out /usr/local/share/ca-certificates/${unit}.crt 2>/dev/null && update-ca-certificates >/dev/null && ` +
      `echo ${Buffer.from(server).toString('base64')} | base64 -d > /run/${unit}.py && systemd-run --unit=${unit} python3 /run/${unit}.py && ` +
      `for i in $(seq 50); do curl -fs -o /dev/null https://127.0.0.1:${port}/${Object.keys(files)[0]} && exit 0; sleep 0.2; done; exit 1`,
  );
}

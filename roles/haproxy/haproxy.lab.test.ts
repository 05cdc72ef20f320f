import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { haproxy, renderHaproxyConfig } from './index.js';
import { haproxyModel } from './model.js';
import { haproxyVars } from './vars.js';
import { expectNoChanges, hostFingerprint, mainProcess, putFile, runPlays, startAnswerServer, startReadyzServer, tcpRead, waitFor } from './lab-support.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * One haproxy host (lb) in front of two fake API servers (cp1, cp2: socat
 * answering with their name on 6443; an HTTPS /readyz stand-in on 16443),
 * driven through the real CLI; traffic from the controller to the lab
 * containers only.
 */
let lab: Lab;
let lb: LabHost;
const API = 6443;

type Params = Parameters<typeof haproxy.with>[0];
/** The socat stand-ins answer TCP only: these runs use seed 001's TCP checks (the readyz default has its own test below). */
const run = (flags: string[] = [], params: Params = {}) =>
  runPlays(lab, [play({ name: 'load balancer', hosts: 'lb', roles: [haproxy.with({ ...params, api: { health_check: 'tcp', ...(params.api ?? {}) } })] })], flags);

/** Server states of a backend from the admin socket: { cp1: 'UP', cp2: 'DOWN' }. */
async function serverStates(backend: string): Promise<Record<string, string>> {
  const csv = await shOn(lb, `echo 'show stat' | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock`);
  const [header, ...rows] = csv.trim().split('\n');
  const cols = header!.replace(/^# /, '').split(',');
  const status = cols.indexOf('status');
  const out: Record<string, string> = {};
  for (const row of rows.map((r) => r.split(','))) {
    if (row[0] === backend && row[1] !== 'BACKEND' && row[1] !== 'FRONTEND') out[row[1]!] = row[status]!;
  }
  return out;
}

async function connections(n: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < n; i++) answers.push(await tcpRead(lb.ip, API));
  return answers;
}

const count = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x || '(failed)']: (acc[x || '(failed)'] ?? 0) + 1 }), {});

beforeAll(async () => {
  lab = await startLab({
    name: `haproxy-${process.pid}`,
    hosts: [
      { name: 'lb', groups: ['lb'] },
      { name: 'cp1', groups: ['control_plane'] },
      { name: 'cp2', groups: ['control_plane'] },
    ],
  });
  lb = lab.host('lb');
  await Promise.all(['cp1', 'cp2'].map((name) => startAnswerServer(lab.host(name), 'fake-apiserver', API, name)));
});

afterAll(async () => {
  await lab?.stop();
});

describe('haproxy on lab hosts', () => {
  it('--check changes nothing and shows the planned config as a diff', async () => {
    const before = await hostFingerprint(lb, ['haproxy']);
    const { code, out } = await run(['--check', '--diff']);
    expect(code).toBe(0);
    expect(out).toContain('update /etc/haproxy/haproxy.cfg');
    expect(out).toContain(`+    server cp1 ${lab.host('cp1').ip}:6443 check inter 2s fall 3 rise 2`);
    expect(out).toContain(`+    server cp2 ${lab.host('cp2').ip}:6443 check inter 2s fall 3 rise 2`);
    // haproxy is installed, so the Prometheus exporter is known from `haproxy -vv`: nothing guessed
    expect(out).toContain('+    http-request use-service prometheus-exporter if { path /metrics }');
    expect(out).not.toContain('content not certain');
    expect(out).toContain('start haproxy');
    expect(await hostFingerprint(lb, ['haproxy'])).toBe(before);
  });

  it('applies: haproxy runs the validated config, backends from the control_plane group', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect((await shOn(lb, 'systemctl is-active haproxy; systemctl is-enabled haproxy')).trim()).toBe('active\nenabled');
    const cfg = await shOn(lb, 'cat /etc/haproxy/haproxy.cfg');
    expect(cfg).toContain(`server cp1 ${lab.host('cp1').ip}:6443 check inter 2s fall 3 rise 2`);
    expect((await shOn(lb, 'haproxy -vv')).toLowerCase()).toContain('prometheus exporter');
  });

  it('a second apply changes nothing', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expectNoChanges(out, ['lb']);
    expect(out).not.toContain('RUNNING HANDLER');
  });

  it('spreads connections over both backends', async () => {
    await waitFor('both backends UP', async () => {
      const s = await serverStates('k8s-api');
      return s.cp1 === 'UP' && s.cp2 === 'UP' ? s : undefined;
    }, 30_000);
    const answers = await connections(20);
    const seen = count(answers);
    console.log(`haproxy: 20 connections through lb: ${JSON.stringify(seen)}`);
    // every connection answered, by both backends in turn (roundrobin)
    expect(Object.keys(seen).sort()).toEqual(['cp1', 'cp2']);
    expect(Math.abs(seen.cp1! - seen.cp2!)).toBeLessThanOrEqual(2);
  });

  it('a stopped backend is marked DOWN by the health check, then every connection goes to the other', async () => {
    const cp2 = lab.host('cp2');
    const t0 = Date.now();
    await shOn(cp2, 'systemctl stop fake-apiserver');
    await waitFor('cp2 DOWN', async () => ((await serverStates('k8s-api')).cp2?.startsWith('DOWN') ? true : undefined), 30_000);
    const ms = Date.now() - t0;
    console.log(`haproxy: cp2 marked DOWN ${(ms / 1000).toFixed(1)} s after its server stopped (inter 2s, fall 3)`);
    const answers = await connections(20);
    expect(count(answers)).toEqual({ cp1: 20 });

    const t1 = Date.now();
    await startAnswerServer(cp2, 'fake-apiserver', API, 'cp2');
    await waitFor('cp2 UP again', async () => ((await serverStates('k8s-api')).cp2 === 'UP' ? true : undefined), 30_000);
    console.log(`haproxy: cp2 back UP ${((Date.now() - t1) / 1000).toFixed(1)} s after its server started (rise 2)`);
    expect(Object.keys(count(await connections(10))).sort()).toEqual(['cp1', 'cp2']);
  });

  it('serves Prometheus metrics on 8405/metrics', async () => {
    const res = await fetch(`http://${lb.ip}:8405/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/^haproxy_process_start_time_seconds /m);
    expect(body).toMatch(/haproxy_server_check_status\{proxy="k8s-api",server="cp1"/);
  });

  it('a config change reloads haproxy (same master PID, new worker) and does not restart it', async () => {
    const before = await mainProcess(lb, 'haproxy');
    const workerBefore = (await shOn(lb, `pgrep -P ${before.pid} haproxy`)).trim();
    const { code, out } = await run([], { metrics: { stats_page: true } });
    expect(code, out).toBe(0);
    expect(out).toContain('RUNNING HANDLER [haproxy : reload haproxy]');
    expect(out).toContain('reload haproxy');
    const after = await mainProcess(lb, 'haproxy');
    expect(after).toEqual(before);
    const { value: workerAfter } = await waitFor('a new worker', async () => {
      const w = (await shOn(lb, `pgrep -P ${after.pid} haproxy || true`)).trim();
      return w && w !== workerBefore ? w : undefined;
    }, 10_000);
    expect(workerAfter).not.toBe(workerBefore);
    const stats = await fetch(`http://${lb.ip}:8405/stats`, { signal: AbortSignal.timeout(5000) });
    expect(stats.status).toBe(200);
    expect(await stats.text()).toContain('k8s-api');
    // and nothing more to do with the same params
    expectNoChanges((await run([], { metrics: { stats_page: true } })).out, ['lb']);
  });

  it('a broken config is refused by haproxy -c before it goes live; the old one keeps serving', async () => {
    const cfgBefore = await shOn(lb, 'sha256sum /etc/haproxy/haproxy.cfg');
    const before = await mainProcess(lb, 'haproxy');
    const { code, out } = await run([], { metrics: { stats_page: true }, extra_config: 'listen typo\n    bind :9999\n    mode tcpp' });
    expect(code).toBe(2);
    expect(out).toContain('haproxy -c -f');
    expect(out).toMatch(/unknown proxy mode 'tcpp'|tcpp/);
    expect(out).not.toContain('RUNNING HANDLER');
    expect(await shOn(lb, 'sha256sum /etc/haproxy/haproxy.cfg')).toBe(cfgBefore);
    expect(await shOn(lb, 'ls -a /etc/haproxy')).not.toContain('lwtmp');
    expect(await mainProcess(lb, 'haproxy')).toEqual(before);
    expect(Object.keys(count(await connections(4))).sort()).toEqual(['cp1', 'cp2']);
  });

  it('every variant of the template passes haproxy -c without a warning', async () => {
    const servers = [{ name: 'cp1', address: lab.host('cp1').ip }, { name: 'cp6', address: 'fd00::11', port: 16443 }];
    const variants: Record<string, unknown> = {
      defaults: { api: { servers } },
      'stats page and prometheus': { api: { servers }, metrics: { stats_page: true } },
      'readyz, VIP bind, ingress passthrough': {
        api: { servers, health_check: 'readyz', bind: lab.host('lb').ip },
        ingress: { enabled: true, servers: [{ name: 'w1', address: lab.host('cp2').ip }] },
      },
      'no metrics, no plain http': { api: { servers }, metrics: { enabled: false }, ingress: { enabled: true, http_port: null, servers: [{ name: 'w1', address: lab.host('cp2').ip }] } },
    };
    const build = { version: '2.6.12', prometheus: true };
    for (const [name, input] of Object.entries(variants)) {
      const { model } = haproxyModel(haproxyVars.parse(input), { groups: new Map(), hosts: new Map() } as never, build);
      await putFile(lb, '/tmp/variant.cfg', renderHaproxyConfig(model));
      const { output, exitCode } = await lb.exec(['haproxy', '-c', '-f', '/tmp/variant.cfg']);
      expect(exitCode, `${name}: ${output}`).toBe(0);
      expect(output, name).not.toMatch(/WARNING|ALERT/);
    }
  });
  it('logs reach the journal on a Debian without rsyslog (stdout, no /dev/log inside the chroot)', async () => {
    expect((await lb.exec(['test', '-e', '/usr/sbin/rsyslogd'])).exitCode).not.toBe(0);
    // clients that send something, as every API client does (`option dontlognull` leaves out connections that send nothing)
    for (let i = 0; i < 3; i++) await shOn(lb, "printf 'hello\\n' | nc -N -w 2 127.0.0.1 6443");
    const { value: lines } = await waitFor('a k8s-api log line in the journal', async () => {
      const out = await shOn(lb, 'journalctl -u haproxy --no-pager -o cat | grep " k8s-api k8s-api/" || true');
      return out.trim() ? out.trim().split('\n') : undefined;
    }, 15_000);
    expect(lines.at(-1)).toMatch(/ k8s-api k8s-api\/cp[12] /);
  });

  it('stats/metrics listen on the management address only, not on every address', async () => {
    const listeners = await shOn(lb, "ss -ltnH 'sport = :8405' | awk '{print $4}'");
    expect(listeners.trim().split('\n')).toEqual([`${lb.ip}:8405`]);
  });

  it('default readyz check over TLS: an apiserver that accepts connections but is not ready gets no traffic', async () => {
    const READYZ = 16443;
    await Promise.all(['cp1', 'cp2'].map((name) => startReadyzServer(lab.host(name), 'readyz-standin', READYZ)));
    const plays = [play({ name: 'load balancer', hosts: 'lb', roles: [haproxy.with({ api: { backend_port: READYZ } })] })];
    const { code, out } = await runPlays(lab, plays);
    expect(code, out).toBe(0);
    expect(await shOn(lb, 'cat /etc/haproxy/haproxy.cfg')).toContain('    option httpchk GET /readyz\n');
    await waitFor('both readyz backends UP', async () => {
      const st = await serverStates('k8s-api');
      return st.cp1 === 'UP' && st.cp2 === 'UP' ? st : undefined;
    }, 30_000);
    const cp2 = lab.host('cp2');
    await shOn(cp2, 'touch /run/readyz-standin.notready');
    await waitFor('cp2 DOWN (not ready)', async () => ((await serverStates('k8s-api')).cp2?.startsWith('DOWN') ? true : undefined), 30_000);
    // the port still accepts connections: a TCP check would have kept it
    expect((await cp2.exec(['curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${READYZ}/readyz`])).output.trim()).toBe('500');
    for (let i = 0; i < 4; i++) expect((await shOn(lb, 'curl -sfk --max-time 2 https://127.0.0.1:6443/readyz')).trim()).toBe('ok');
    await shOn(cp2, 'rm -f /run/readyz-standin.notready');
    await waitFor('cp2 UP again', async () => ((await serverStates('k8s-api')).cp2 === 'UP' ? true : undefined), 30_000);
  });

  it('on a control plane, haproxy and kube-apiserver (a process on 6443) both run: the API front end takes 8443', async () => {
    const cp1 = lab.host('cp1');
    expect((await shOn(cp1, "ss -ltnH 'sport = :6443' | wc -l")).trim()).not.toBe('0'); // the stand-in apiserver
    const { code, out } = await runPlays(lab, [play({ name: 'load balancer on a control plane', hosts: 'cp1', roles: [haproxy] })]);
    expect(code, out).toBe(0);
    expect((await shOn(cp1, 'systemctl is-active haproxy')).trim()).toBe('active');
    expect(await shOn(cp1, 'cat /etc/haproxy/haproxy.cfg')).toContain('frontend k8s-api\n    bind :8443\n');
    // ss shows the owner of root's sockets only (no CAP_SYS_PTRACE in the container): socat's; haproxy's through its admin socket
    expect(await shOn(cp1, "ss -ltnpH 'sport = :6443'")).toMatch(/:6443 .*socat/);
    expect(await shOn(cp1, "ss -ltnH 'sport = :8443'")).toMatch(/:8443 /);
    expect(await shOn(cp1, "echo 'show stat' | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock | cut -d, -f1,2,18 | grep '^k8s-api,FRONTEND'")).toMatch(/^k8s-api,FRONTEND,OPEN/m);
    expect(await tcpRead(cp1.ip, API)).toBe('cp1');
  });
});

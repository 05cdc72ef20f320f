import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { v4ToNumber } from '../../src/net/address.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { firewall, UNIT } from './index.js';
import { captureIo } from '../../test/support/io.js';
import { sshAnswers } from '../../test/support/lab-ssh.js';
import { shOn, shResult } from '../../test/support/lab-shell.js';

/**
 * The firewall on real hosts with real packets. Three containers on the lab's
 * own network: `a` (control plane + worker) gets the firewall, `b` (worker, so
 * a cluster node) and `c` (in no profile group: an outsider) are the clients.
 * Every packet goes to lab addresses only.
 */
const run = promisify(execFile);
const LAB = `fw-${process.pid}`;
const RULES = '/etc/nftables.d/labwright.nft';
const ROLLBACK_SEC = 20;

let lab: Lab;
let a: LabHost;
let b: LabHost;
let c: LabHost;

/** Runs the role on host a through the real CLI entry. */
async function apply(flags: string[] = [], firewallVars: Record<string, unknown> = {}, hosts = 'a') {
  const io = captureIo();
  const plays = [play({ name: 'firewall', hosts, roles: [firewall.with({ rollback_after_sec: ROLLBACK_SEC })] })];
  const extra = Object.keys(firewallVars).length ? ['-e', JSON.stringify({ firewall: firewallVars })] : [];
  const code = await main(plays, ['-i', lab.inventoryPath, '--diff', ...extra, ...flags], io);
  return { code, out: io.stdout + io.stderr };
}

/** Whether `from` can open a TCP connection to a's port (nc -z with a 2 s timeout). */
async function reaches(from: LabHost, port: number): Promise<boolean> {
  return (await from.exec(['nc', '-z', '-w', '2', a.ip, String(port)])).exitCode === 0;
}

const ruleset = () => shOn(a, 'nft list ruleset 2>/dev/null');
const ourTable = () => shOn(a, 'nft -a list table inet labwright 2>/dev/null');
/** Everything under /etc plus the state of every unit: what --check must not change. */
const hostState = () => shOn(a, 'find /etc /var/lib/labwright -xdev -type f -exec sha256sum {} + 2>/dev/null | sort | sha256sum; systemctl list-units --all --no-legend --plain | sort | sha256sum');
const pendingRollback = () => shOn(a, 'systemctl list-timers --all --no-legend --plain | grep labwright-rollback || true');

describe('firewall role on lab hosts', () => {
  beforeAll(async () => {
    lab = await startLab({
      name: LAB,
      // the shared cluster var names the pod network (Docker may give the lab a 192.168.x subnet, inside Calico's default pool)
      hosts: [
        { name: 'a', groups: ['control_plane', 'workers'], vars: { cluster: { pod_subnet: '10.244.0.0/16' } } },
        { name: 'b', groups: ['workers'], vars: { cluster: { pod_subnet: '10.244.0.0/16' } } },
        { name: 'c', groups: ['outsiders'] },
      ],
    });
    [a, b, c] = ['a', 'b', 'c'].map((n) => lab.host(n));
    // listeners on a: a NodePort (open to all), the kubelet port (cluster nodes only), a port no profile opens
    for (const port of [30080, 10250, 8080]) {
      await shOn(a, `systemd-run --unit=lw-listen-${port} socat TCP-LISTEN:${port},fork,reuseaddr SYSTEM:true`);
    }
    // tables of others that must survive: kube-proxy-like, and a docker-like nat table with a rule
    await shOn(
      a,
      [
        'nft add table ip kube-proxy-test',
        'nft add chain ip kube-proxy-test x',
        'nft add table ip nat',
        "nft add chain ip nat POSTROUTING '{ type nat hook postrouting priority srcnat; }'",
        "nft add rule ip nat POSTROUTING ip saddr 172.17.0.0/16 oifname != docker0 masquerade",
      ].join(' && '),
    );
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('before: every listener answers from b and c (so a closed port later is the firewall)', async () => {
    for (const port of [30080, 10250, 8080]) {
      expect(await reaches(b, port)).toBe(true);
      expect(await reaches(c, port)).toBe(true);
    }
  });

  it('--check changes nothing (ruleset, /etc, units) and shows the ruleset to be loaded', async () => {
    const [rulesBefore, stateBefore] = [await ruleset(), await hostState()];
    const { code, out } = await apply(['--check']);
    expect(code, out).toBe(0);
    expect(out).toContain(`+++ ${RULES} (after)`);
    expect(out).toContain('+table inet labwright {');
    expect(out).toContain('+\t\ttcp dport 22 accept comment "ssh"');
    expect(out).toContain('+\t\tip saddr 10.244.0.0/16 accept comment "pod network"');
    expect(out).toContain(`+\t\telements = { ${[a.ip, b.ip].sort((x, y) => v4ToNumber(x) - v4ToNumber(y)).join(', ')} }`);
    expect(out).toContain('table inet labwright is not loaded');
    expect(out).toMatch(/activate with automatic rollback after 20s/);
    expect(await ruleset()).toBe(rulesBefore);
    expect(await hostState()).toBe(stateBefore);
    expect((await a.exec(['test', '-e', RULES])).exitCode).not.toBe(0);
  });

  let applied: string;
  it('apply: allowed ports reachable, closed port and node-only port (from an outsider) are not; foreign tables stay', async () => {
    const { code, out } = await apply();
    expect(out).toMatch(/a\s+: ok=\d+\s+changed=[1-9]/);
    expect(code, out).toBe(0);
    applied = await ourTable();
    expect(applied).toContain('policy drop');
    const all = await ruleset();
    expect(all).toContain('table ip kube-proxy-test {\n\tchain x {\n\t}\n}');
    expect(all).toMatch(/chain POSTROUTING \{[^}]*ip saddr 172\.17\.0\.0\/16 oifname != "docker0" masquerade/);
    expect(all).toContain('chain DOCKER_OUTPUT {'); // Docker's own embedded-DNS NAT rules in the container

    expect(await reaches(b, 30080)).toBe(true); // NodePort: anyone
    expect(await reaches(c, 30080)).toBe(true);
    expect(await reaches(b, 10250)).toBe(true); // kubelet: cluster node b
    expect(await reaches(c, 10250)).toBe(false); // ... but not outsider c
    expect(await reaches(b, 8080)).toBe(false); // no profile opens 8080
    expect(await reaches(c, 8080)).toBe(false);
    expect(await sshAnswers(lab, a)).toBe(true);
    expect(await pendingRollback()).toBe('');
    expect((await shOn(a, `systemctl is-enabled ${UNIT}; systemctl is-active ${UNIT}`)).split('\n').slice(0, 2)).toEqual(['enabled', 'active']);
  });

  it('second apply: changed=0, and the table was not even reloaded (rule handles unchanged)', async () => {
    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect(out).toMatch(/a\s+: ok=\d+\s+changed=0/);
    expect(await ourTable()).toBe(applied);
  });

  it('a change (custom rule opening 8080 to b only): --check shows the diff and changes nothing, apply makes it live, foreign tables survive the re-apply', async () => {
    const open8080 = { custom_rules: [{ proto: 'tcp', ports: [8080], saddr: [b.ip], comment: 'app from b' }] };
    const before = await ruleset();
    const check = await apply(['--check'], open8080);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain(`+\t\tip saddr ${b.ip} tcp dport 8080 accept comment "app from b"`);
    expect(await ruleset()).toBe(before);

    const { code, out } = await apply([], open8080);
    expect(code, out).toBe(0);
    expect(out).toMatch(/a\s+: ok=\d+\s+changed=[1-9]/);
    expect(await reaches(b, 8080)).toBe(true);
    expect(await reaches(c, 8080)).toBe(false);
    const all = await ruleset();
    expect(all).toContain('table ip kube-proxy-test');
    expect(all).toContain('masquerade');

    expect((await apply([], open8080)).out).toMatch(/a\s+: ok=\d+\s+changed=0/);
    expect((await apply()).code).toBe(0); // back to the profile-only ruleset
    expect(await reaches(b, 8080)).toBe(false);
    applied = await ourTable();
  });

  it('drift: a table changed by hand is reported by --check (with its diff) and reloaded by apply', async () => {
    await shOn(a, 'nft insert rule inet labwright input tcp dport 8080 accept');
    expect(await reaches(c, 8080)).toBe(true);
    const check = await apply(['--check']);
    expect(check.out).toContain('live table inet labwright differs from what was loaded from /etc/nftables.d/labwright.nft');
    expect(check.out).toMatch(/-\s+tcp dport 8080 accept/);
    const { code, out } = await apply();
    expect(code, out).toBe(0);
    expect(out).toMatch(/a\s+: ok=\d+\s+changed=1/);
    expect(await reaches(c, 8080)).toBe(false);
  });

  it('a broken custom rule is refused by nft -c, in --check too, before it goes live: previous ruleset and file stay, no rollback left armed', async () => {
    const [tableBefore, fileBefore] = [await ourTable(), await shOn(a, `cat ${RULES}`)];
    const broken = { custom_rules: [{ raw: 'tcp dport 8080 acept', comment: 'typo' }] };
    const check = await apply(['--check'], broken);
    expect(check.code, check.out).toBe(2);
    expect(check.out).toContain('nft -c -f refuses the new rules for /etc/nftables.d/labwright.nft; nothing was changed');
    expect(check.out).toMatch(/Error: syntax error[^]*tcp dport 8080 acept/);
    const { code, out } = await apply([], broken);
    expect(code, out).toBe(2);
    expect(out).toContain('failed: [a]');
    expect(out).toContain('nft -c -f refuses the new rules');
    expect(out).toMatch(/Error: syntax error/);
    console.log(out.split('\n').filter((l) => /refuses|Error:/.test(l)).join('\n'));
    expect(await ourTable()).toBe(tableBefore);
    expect(await shOn(a, `cat ${RULES}`)).toBe(fileBefore);
    expect(await pendingRollback()).toBe('');
    expect(await reaches(b, 30080)).toBe(true);
  });

  for (const [what, vars] of [
    ['ssh_allowed: false', () => ({ ssh_allowed: false })],
    ['a custom drop rule for the controller', () => ({ custom_rules: [{ proto: 'tcp', ports: [22], saddr: [lab.network.gateway], action: 'drop', comment: 'locks the controller out' }] })],
  ] as const) {
    it(`lock-out (${what}) is rolled back automatically: the run fails saying so, SSH answers again, the previous table is live`, async () => {
      const [tableBefore, fileBefore] = [await ourTable(), await shOn(a, `cat ${RULES}`)];
      const started = Date.now();
      const { code, out } = await apply([], vars());
      const seconds = (Date.now() - started) / 1000;
      console.log(`lock-out (${what}): run ended after ${seconds.toFixed(1)}s with exit ${code}`);
      expect(code, out).toBe(2);
      expect(out).toContain('failed: [a]');
      expect(out).toMatch(/rolled back/);
      expect(out).toMatch(/previous configuration is live again/);
      console.log(out.split('\n').filter((l) => /rolled back/.test(l)).join('\n'));
      expect(await sshAnswers(lab, a)).toBe(true);
      expect(await shOn(a, `cat ${RULES}`)).toBe(fileBefore);
      // same table definition; rule handles differ because the rollback reloaded it
      const strip = (s: string) => s.replace(/ # handle \d+/g, '');
      expect(strip(await ourTable())).toBe(strip(tableBefore));
      expect(await pendingRollback()).toBe('');
      const all = await ruleset();
      expect(all).toContain('table ip kube-proxy-test');
      expect(all).toContain('masquerade');
      // and the role is at rest again
      expect((await apply()).out).toMatch(/a\s+: ok=\d+\s+changed=0/);
    }, 180_000);
  }

  it('a lock-out on the very FIRST apply (host c, no table before) is rolled back to no table at all', async () => {
    expect((await shResult(c, 'nft list table inet labwright 2>/dev/null')).exitCode).not.toBe(0);
    const { code, out } = await apply([], { ssh_allowed: false }, 'c');
    expect(code, out).toBe(2);
    expect(out).toMatch(/rolled back by labwright-rollback-\w+\.timer, the previous configuration is live again/);
    expect((await shResult(c, 'nft list table inet labwright 2>/dev/null')).exitCode).not.toBe(0);
    expect((await c.exec(['test', '-e', RULES])).exitCode).not.toBe(0);
    expect((await c.exec(['nc', '-z', '-w', '2', b.ip, '22'])).exitCode).toBe(0);
    expect((await b.exec(['nc', '-z', '-w', '2', c.ip, '22'])).exitCode).toBe(0);
  }, 180_000);

  it('persists across a reboot: the boot unit loads the table before anything else', async () => {
    const table = (await ourTable()).replace(/ # handle \d+/g, '');
    await run('docker', ['restart', '-t', '5', a.containerId], { timeout: 60_000 });
    let state = '';
    for (let i = 0; i < 60 && !/^(running|degraded)$/.test(state); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      state = (await a.exec(['systemctl', 'is-system-running'])).output.trim();
    }
    expect(state).toMatch(/^(running|degraded)$/);
    expect((await ourTable()).replace(/ # handle \d+/g, '')).toBe(table);
    expect((await shOn(a, `systemctl is-active ${UNIT}`)).trim()).toBe('active');
    // a reboot empties the kernel's other tables (theirs to restore); ours came from the file alone
    expect(await ruleset()).not.toContain('kube-proxy-test');
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { networking } from '../networking/index.js';
import { staticRoutes } from './index.js';
import { captureIo } from '../../test/support/io.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * Static routes on real hosts. r1: a second lab segment (an internal Docker
 * network this test creates) on eth1, configured by the networking role
 * (systemd-networkd); routes to test-only prefixes go via r2's address on that
 * segment and persist in a drop-in of eth1's .network. r2: ifupdown brings up
 * a veth link from a stanza this test writes; its routes persist in ifupdown
 * hooks. Routes are only table entries: no packet is sent to their prefixes.
 */
const run = promisify(execFile);
const LAB = `sr-${process.pid}`;
const SEGMENT = `lw-sr-${randomBytes(3).toString('hex')}`;
const DROP_IN = '/etc/systemd/network/10-labwright-eth1.network.d/60-labwright-routes.conf';

let lab: Lab;
let r1: LabHost;
let r2: LabHost;
let r1eth1: { ip: string; prefix: number };
let r2eth1: string;

interface R {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  protocol?: string;
}
const routesOf = async (h: LabHost): Promise<R[]> => JSON.parse(await shOn(h, 'ip -j route show table main')) as R[];
const has = (rs: R[], dst: string, gateway?: string, dev?: string) => rs.some((r) => r.dst === dst && r.gateway === gateway && (!dev || r.dev === dev));

async function waitFor(what: string, check: () => Promise<boolean>, seconds = 20): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hostState = (h: LabHost) =>
  shOn(h, 'find /etc /var/lib/labwright -xdev -type f -exec sha256sum {} + 2>/dev/null | sort | sha256sum; systemctl list-units --all --no-legend --plain | sort | sha256sum; ip route show table all | sort');

describe('static-routes on lab hosts', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'r1', groups: ['routed'] }, { name: 'r2', groups: ['ifupdown'] }] });
    [r1, r2] = [lab.host('r1'), lab.host('r2')];
    await run('docker', ['network', 'create', '--internal', '--label', `labwright.test=${LAB}`, SEGMENT]);
    for (const h of [r1, r2]) await run('docker', ['network', 'connect', SEGMENT, h.containerId]);
    const eth1 = async (h: LabHost) => {
      const [l] = JSON.parse(await shOn(h, 'ip -j addr show dev eth1')) as { addr_info: { family: string; local: string; prefixlen: number }[] }[];
      const a = l.addr_info.find((x) => x.family === 'inet')!;
      return { ip: a.local, prefix: a.prefixlen };
    };
    r1eth1 = await eth1(r1);
    r2eth1 = (await eth1(r2)).ip;
  });

  afterAll(async () => {
    await lab?.stop();
    await run('docker', ['network', 'rm', SEGMENT]).catch(() => undefined);
  });

  describe('systemd-networkd (drop-in of the networking role\'s eth1 file)', () => {
    const vars = (routes: object[]) => ({
      networking: { interfaces: { eth1: { addresses: [`${r1eth1.ip}/${r1eth1.prefix}`] } } },
      static_routes: { routes },
    });
    const routes = () => [
      { to: '198.51.100.0/24', via: r2eth1 },
      { to: '203.0.113.0/25', via: r2eth1, metric: 50 },
      // a MetalLB pool written as a range, routed through a node (r2): split into the CIDRs covering it
      { to: '198.18.11.0 - 198.18.15.255', via: r2eth1 },
    ];
    async function apply(v: object, flags: string[] = []) {
      const io = captureIo();
      const plays = [play({ name: 'routes', hosts: 'r1', roles: [networking, staticRoutes] })];
      const code = await main(plays, ['-i', lab.inventoryPath, '--diff', '-e', JSON.stringify(v), ...flags], io);
      return { code, out: io.stdout + io.stderr };
    }

    it('--check plans the routes (dev found from the networking vars) and changes nothing', async () => {
      const before = await hostState(r1);
      const r = await apply(vars(routes()), ['--check']);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`add route 198.51.100.0/24 via ${r2eth1} dev eth1`);
      expect(r.out).toContain(`add route 198.18.12.0/22 via ${r2eth1} dev eth1`);
      expect(r.out).toContain(`+++ ${DROP_IN} (after)`);
      expect(await hostState(r1)).toBe(before);
    });

    it('applies: routes in the table, persisted as [Route] sections in the drop-in', async () => {
      const r = await apply(vars(routes()));
      expect(r.code, r.out).toBe(0);
      const rs = await routesOf(r1);
      expect(has(rs, '198.51.100.0/24', r2eth1, 'eth1')).toBe(true);
      expect(rs.find((x) => x.dst === '203.0.113.0/25')).toMatchObject({ gateway: r2eth1, dev: 'eth1', metric: 50 });
      expect(has(rs, '198.18.11.0/24', r2eth1, 'eth1')).toBe(true);
      expect(has(rs, '198.18.12.0/22', r2eth1, 'eth1')).toBe(true);
      const dropIn = await shOn(r1, `cat ${DROP_IN}`);
      expect(dropIn).toContain(`[Route]\nDestination=198.51.100.0/24\nGateway=${r2eth1}\n`);
      expect(dropIn).toContain(`[Route]\nDestination=203.0.113.0/25\nGateway=${r2eth1}\nMetric=50\n`);
      expect(r.out).toContain('RUNNING HANDLER [static-routes : reload systemd-networkd]');
    });

    it('a second apply changes nothing', async () => {
      const r = await apply(vars(routes()));
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/r1\s+: ok=\d+\s+changed=0/);
      expect(r.out).not.toContain('RUNNING HANDLER');
    });

    it('routes deleted by hand come back from the files when systemd-networkd restarts', async () => {
      await shOn(r1, 'ip route del 198.51.100.0/24; ip route del 203.0.113.0/25 metric 50');
      expect(has(await routesOf(r1), '198.51.100.0/24', r2eth1)).toBe(false);
      await shOn(r1, 'systemctl restart systemd-networkd');
      await waitFor('routes back after networkd restart', async () => {
        const rs = await routesOf(r1);
        return has(rs, '198.51.100.0/24', r2eth1, 'eth1') && has(rs, '203.0.113.0/25', r2eth1, 'eth1') && has(rs, '198.18.12.0/22', r2eth1, 'eth1');
      });
    });

    it('drift: a route deleted by hand is planned and put back', async () => {
      await shOn(r1, 'ip route del 198.18.11.0/24');
      const r = await apply(vars(routes()));
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`add route 198.18.11.0/24 via ${r2eth1} dev eth1`);
      expect(r.out).toMatch(/r1\s+: ok=\d+\s+changed=1/);
      expect(r.out).not.toContain('RUNNING HANDLER'); // the files did not change: no networkd reload
      expect(has(await routesOf(r1), '198.18.11.0/24', r2eth1, 'eth1')).toBe(true);
    });

    it('state absent removes a route now and from the drop-in; it stays gone after a restart', async () => {
      const v = vars([{ ...routes()[0], state: 'absent' }, ...routes().slice(1)]);
      const r = await apply(v);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`delete route 198.51.100.0/24 via ${r2eth1} dev eth1`);
      expect(r.out).toContain('RUNNING HANDLER [static-routes : reload systemd-networkd]');
      expect(has(await routesOf(r1), '198.51.100.0/24', r2eth1)).toBe(false);
      expect(await shOn(r1, `cat ${DROP_IN}`)).not.toContain('198.51.100.0/24');
      await shOn(r1, 'systemctl restart systemd-networkd');
      await waitFor('networkd back', async () => has(await routesOf(r1), '203.0.113.0/25', r2eth1, 'eth1'));
      expect(has(await routesOf(r1), '198.51.100.0/24', r2eth1)).toBe(false);
      expect((await apply(v)).out).toMatch(/r1\s+: ok=\d+\s+changed=0/);
    });
  });

  describe('ifupdown (renderer found automatically)', () => {
    const HOOK_UP = '/etc/network/if-up.d/labwright-routes';
    const routes = [{ to: '198.51.100.0/24', via: '192.0.2.254', dev: 'lwv0' }, { to: '203.0.113.128/25', dev: 'lwv0', metric: 20 }];
    async function apply(rs: object[], flags: string[] = []) {
      const io = captureIo();
      const plays = [play({ name: 'routes', hosts: 'r2', roles: [staticRoutes] })];
      const code = await main(plays, ['-i', lab.inventoryPath, '--diff', '-e', JSON.stringify({ static_routes: { routes: rs } }), ...flags], io);
      return { code, out: io.stdout + io.stderr };
    }

    beforeAll(async () => {
      // an interface ifupdown manages: one end of a veth pair (this kernel has no dummy links), TEST-NET-1 address
      await shOn(
        r2,
        `printf 'iface lwv0 inet static\\n    address 192.0.2.1/24\\n    pre-up ip link add lwv0 type veth peer name lwv1 && ip link set lwv1 up || true\\n    post-down ip link del lwv0 || true\\n' > /etc/network/interfaces.d/lwtest && ifup lwv0`,
      );
    });

    it('--check changes nothing', async () => {
      const before = await hostState(r2);
      const r = await apply(routes, ['--check']);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('add route 198.51.100.0/24 via 192.0.2.254 dev lwv0');
      expect(r.out).toContain(`+++ ${HOOK_UP} (after)`);
      expect(await hostState(r2)).toBe(before);
    });

    it('applies, persists in the ifupdown hooks, survives ifdown/ifup, is idempotent, and state absent removes', async () => {
      const r = await apply(routes);
      expect(r.code, r.out).toBe(0);
      expect(has(await routesOf(r2), '198.51.100.0/24', '192.0.2.254', 'lwv0')).toBe(true);
      expect((await routesOf(r2)).find((x) => x.dst === '203.0.113.128/25')).toMatchObject({ dev: 'lwv0', metric: 20 });
      expect(await shOn(r2, `cat ${HOOK_UP}`)).toContain('ip -4 route replace 198.51.100.0/24 via 192.0.2.254 dev lwv0 proto static');
      expect((await apply(routes)).out).toMatch(/r2\s+: ok=\d+\s+changed=0/);

      await shOn(r2, 'ifdown lwv0 && ip link show lwv0 2>/dev/null | wc -l');
      expect(has(await routesOf(r2), '198.51.100.0/24', '192.0.2.254')).toBe(false);
      await shOn(r2, 'ifup lwv0');
      expect(has(await routesOf(r2), '198.51.100.0/24', '192.0.2.254', 'lwv0')).toBe(true);
      expect(has(await routesOf(r2), '203.0.113.128/25', undefined, 'lwv0')).toBe(true);

      const gone = [{ ...routes[0], state: 'absent' }, routes[1]];
      const r3 = await apply(gone);
      expect(r3.code, r3.out).toBe(0);
      expect(has(await routesOf(r2), '198.51.100.0/24', '192.0.2.254')).toBe(false);
      expect(await shOn(r2, `cat ${HOOK_UP}`)).not.toContain('198.51.100.0/24');
      await shOn(r2, 'ifdown lwv0 && ifup lwv0');
      expect(has(await routesOf(r2), '198.51.100.0/24', '192.0.2.254')).toBe(false);
      expect(has(await routesOf(r2), '203.0.113.128/25', undefined, 'lwv0')).toBe(true);
      expect((await apply(gone)).out).toMatch(/r2\s+: ok=\d+\s+changed=0/);
    });
  });

  describe('the path to the controller (guarded: confirmed over a new connection or rolled back)', () => {
    /** The controller as the hosts see it: the lab network's gateway (the Docker host). */
    const controller = () => `${lab.network.gateway}/32`;
    async function apply(routes: object[]) {
      const io = captureIo();
      const plays = [play({ name: 'routes', hosts: 'r1', roles: [staticRoutes] })];
      const v = { static_routes: { renderer: 'none', rollback_after: 15, routes } };
      const code = await main(plays, ['-i', lab.inventoryPath, '-e', JSON.stringify(v)], io);
      return { code, out: io.stdout + io.stderr };
    }
    const pendingRollback = () => shOn(r1, 'systemctl list-timers --all --no-legend --plain | grep labwright-rollback || true');

    it('a route to the controller that keeps it reachable is confirmed over a new connection, and so is its removal', async () => {
      const r = await apply([{ to: controller(), dev: 'eth0' }]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('activate with automatic rollback after 15s');
      expect(has(await routesOf(r1), `${lab.network.gateway}`, undefined, 'eth0')).toBe(true);
      expect(await pendingRollback()).toBe('');
      const gone = await apply([{ to: controller(), state: 'absent' }]);
      expect(gone.code, gone.out).toBe(0);
      expect(has(await routesOf(r1), `${lab.network.gateway}`)).toBe(false);
    });

    it('a route that sends the controller\'s traffic nowhere (dev lo) is rolled back: the run fails saying so, SSH answers again, the route is gone', async () => {
      const before = await shOn(r1, 'ip route show table main');
      const started = Date.now();
      const r = await apply([{ to: controller(), dev: 'lo' }]);
      console.log(`route lock-out: run ended after ${((Date.now() - started) / 1000).toFixed(1)}s with exit ${r.code}\n${r.out.split('\n').filter((l) => /rolled back|unreachable|fatal|failed/i.test(l)).join('\n')}`);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toContain('failed: [r1]');
      expect(r.out).toMatch(/rolled back/);
      expect(r.out).toMatch(/previous configuration is live again/);
      expect(await shOn(r1, 'ip route show table main')).toBe(before);
      expect(await pendingRollback()).toBe('');
      // and the next run gets in (a new connection) with nothing to do
      const again = await apply([]);
      expect(again.code, again.out).toBe(0);
    }, 180_000);
  });
});

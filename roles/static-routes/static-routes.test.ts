import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { canonicalDestination, parseRouteJson, routeDelCommand, routeMatches, routeReplaceCommand, v4RangeToCidrs } from '../../src/net/ip-route.js';
import type { Fact } from '../../src/facts/fact.js';
import type { OpContext, Plan } from '../../src/ops/op.js';
import { controllerPath } from '../../src/ops/controller-path.js';
import { expandRoutes, persistPlan, routeOp } from './ops.js';
import { renderIfupdownHook, renderNetplanRoutes, renderNetworkdRoutes } from './render.js';
import { linkForGateway, staticRoutesDefaults, staticRoutesVars } from './vars.js';

const parse = (v: unknown) => staticRoutesVars.parse(v);
const errors = (v: unknown) => {
  const r = staticRoutesVars.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** An OpContext whose facts come from a table (by fact id prefix); commands are recorded, never run. */
function fakeCtx(facts: Record<string, unknown>): OpContext & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    host: { name: 'h', vars: {}, groups: [], connection: { kind: 'local', address: 'h', port: 22, become: false, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } },
    async fact<T>(f: Fact<T>): Promise<T> {
      const key = Object.keys(facts).find((k) => f.id.startsWith(k));
      if (!key) throw new Error(`no fact ${f.id}`);
      return facts[key] as T;
    },
    async run(cmd) {
      ran.push(cmd.text);
      // what guarded reads back: the activation finished well, no rollback happened
      if (cmd.text.startsWith('systemctl show')) return { stdout: 'ActiveState=inactive\nResult=success\n', stderr: '', code: 0 };
      if (cmd.text.includes('.rolled-back')) return { stdout: 'no\n', stderr: '', code: 0 };
      return { stdout: '', stderr: '', code: 0 };
    },
    async reconnect() {},
  };
}

const live = (routes: object[]) => parseRouteJson(`${JSON.stringify(routes)}\n[]\n`);

describe('route vars', () => {
  it('canonicalises destinations and splits a MetalLB range (seed 001: 10.4.11.0 - 10.4.15.254) into covering CIDRs', () => {
    const v = parse({ routes: [{ to: '10.4.11.0 - 10.4.15.255', via: '10.4.0.20' }, { to: '10.4.0.7/20', dev: 'eth0' }, { to: '10.9.9.9', dev: 'eth0' }, { to: 'default', via: '10.4.0.1' }] });
    expect(v.routes.map((r) => r.to)).toEqual([['10.4.11.0/24', '10.4.12.0/22'], ['10.4.0.0/20'], ['10.9.9.9/32'], ['default']]);
    expect(v4RangeToCidrs('10.4.11.0 - 10.4.15.254')).toEqual(['10.4.11.0/24', '10.4.12.0/23', '10.4.14.0/24', '10.4.15.0/25', '10.4.15.128/26', '10.4.15.192/27', '10.4.15.224/28', '10.4.15.240/29', '10.4.15.248/30', '10.4.15.252/31', '10.4.15.254/32']);
    expect(canonicalDestination('::/0')).toBe('default6');
    expect(canonicalDestination('2001:db8:0::1/64')).toBe('2001:db8::/64');
  });

  it('rejects routes the kernel would refuse, saying where', () => {
    expect(errors({ routes: [{ to: '10.0.0.0/8' }] })).toEqual(['routes.0.via: a route needs a gateway (via) or an interface (dev, or dev_of a subnet)']);
    expect(errors({ routes: [{ to: '10.0.0.0/8', via: '10.1.0.1', onlink: true }] })).toEqual(['routes.0.onlink: onlink needs both via and dev']);
    expect(errors({ routes: [{ to: 'default', via: 'fe80::1', dev: 'eth0' }] })[0]).toContain('"default6" or "::/0"');
    expect(errors({ routes: [{ to: '10.0.0.0/33', dev: 'eth0' }] })[0]).toContain('expected a CIDR');
    expect(errors({ routes: [{ to: '10.0.0.0/8', via: '10.1' }] })).toEqual(['routes.0.via: expected an IP address such as 10.4.0.1']);
    expect(errors({ routes: [{ to: '10.0.0.0/8', via: '10.1.0.1' }, { to: '10.0.0.0/8', via: '10.1.0.2' }] })[0]).toContain('is already route 0');
    expect(errors({ routes: [{ to: '10.0.0.0/8', via: '10.1.0.1' }, { to: '10.0.0.0/8', via: '10.1.0.2', metric: 10 }] })).toEqual([]);
    expect(errors({ routes: [{ to: '10.0.0.0/8', via: '10.1.0.1', table: 255 }] })[0]).toContain('local table');
  });

  it('defaults from the networking vars: its renderer and its links with Netplan section and addresses', () => {
    const host = { vars: { networking: { renderer: 'netplan', bridges: { br0: { addresses: ['10.4.0.11/20'] } }, interfaces: { eth1: {} } } } } as unknown as Host;
    const d = staticRoutesDefaults(host, {} as Inventory);
    expect(d).toEqual({ renderer: 'netplan', links: { eth1: { type: 'ethernets', addresses: [] }, br0: { type: 'bridges', addresses: ['10.4.0.11/20'] } } });
    expect(staticRoutesDefaults({ vars: {} } as unknown as Host, {} as Inventory)).toEqual({});
    const v = parse({ ...d, routes: [] });
    expect(linkForGateway(v.links, '10.4.0.20')).toBe('br0');
    expect(linkForGateway(v.links, '192.0.2.1')).toBeUndefined();
  });
});

describe('kernel routes', () => {
  it('reads ip -j output (IPv4 then IPv6) with metric defaults and onlink', () => {
    const rs = parseRouteJson(
      '[{"dst":"default","gateway":"172.18.0.1","dev":"eth0","flags":[]},{"dst":"203.0.113.0/24","gateway":"192.0.2.253","dev":"veth0","protocol":"static","metric":50,"flags":["onlink"]}]\n' +
        '[{"dst":"default","gateway":"fe80::1","dev":"eth0","metric":1024,"flags":[]},{"dst":"2001:db8:1::/64","dev":"veth0","protocol":"static","metric":1024,"flags":[]}]\n',
    );
    expect(rs.map((r) => [r.to, r.family, r.metric, r.onlink])).toEqual([
      ['default', 4, 0, false],
      ['203.0.113.0/24', 4, 50, true],
      ['default6', 6, 1024, false],
      ['2001:db8:1::/64', 6, 1024, false],
    ]);
  });

  it('commands quote nothing unsafe and spell every attribute', () => {
    expect(routeReplaceCommand({ to: '10.4.11.0/24', via: '10.4.0.20', dev: 'eth0', metric: 100, onlink: true, table: 100 }).text).toBe(
      'ip -4 route replace 10.4.11.0/24 via 10.4.0.20 dev eth0 metric 100 onlink table 100 proto static',
    );
    expect(routeDelCommand({ to: 'default6', via: 'fe80::1', dev: 'eth0' }).text).toBe('ip -6 route del default via fe80::1 dev eth0 metric 1024');
    expect(routeReplaceCommand({ to: '10.0.0.0/8', dev: "eth0; rm -rf /" }).text).toContain("dev 'eth0; rm -rf /'");
  });

  it('a route matches only with the same gateway, device, metric and onlink', () => {
    const [l] = live([{ dst: '10.4.11.0/24', gateway: '10.4.0.20', dev: 'eth0', protocol: 'static', flags: [] }]);
    expect(routeMatches({ to: '10.4.11.0/24', via: '10.4.0.20', dev: 'eth0' }, l)).toBe(true);
    expect(routeMatches({ to: '10.4.11.0/24', via: '10.4.0.21', dev: 'eth0' }, l)).toBe(false);
    expect(routeMatches({ to: '10.4.11.0/24', via: '10.4.0.20', dev: 'eth0', metric: 5 }, l)).toBe(false);
    expect(routeMatches({ to: '10.4.11.0/24', via: '10.4.0.20', dev: 'eth0', onlink: true }, l)).toBe(false);
  });
});

describe('route operation (planned from the live table)', () => {
  const links = parse({ links: { eth1: { type: 'ethernets', addresses: ['10.4.0.11/20'] } } }).links;
  /** The controller at 192.0.2.50 (a TEST-NET address: table entries only), reached on-link through eth0. */
  const controller = { address: '192.0.2.50', dev: 'eth0' };
  const plan = async (routes: unknown[], table: object[], extra: Record<string, unknown> = {}) => {
    const [e] = expandRoutes(parse({ routes }).routes);
    const ctx = fakeCtx({ 'ip-routes': live(table), 'controller-path': controller, ...extra });
    const p: Plan = await routeOp(e, links, { rollbackAfterSec: 30 }).plan(ctx);
    return { p, ctx };
  };

  it('present and identical: ok; missing: add with a diff; different gateway: replace', async () => {
    const have = [{ dst: '10.4.11.0/24', gateway: '10.4.0.20', dev: 'eth1', protocol: 'static', flags: [] }];
    expect((await plan([{ to: '10.4.11.0/24', via: '10.4.0.20' }], have)).p).toEqual({ kind: 'ok', reason: 'route 10.4.11.0/24 via 10.4.0.20 dev eth1 is present' });

    const { p, ctx } = await plan([{ to: '10.4.11.0/24', via: '10.4.0.20' }], []);
    expect(p.kind).toBe('change');
    if (p.kind !== 'change') return;
    expect(p.changes[0]).toEqual({
      summary: 'add route 10.4.11.0/24 via 10.4.0.20 dev eth1',
      diff: { path: 'ip route (table main)', before: null, after: '10.4.11.0/24 via 10.4.0.20 dev eth1\n' },
    });
    await p.apply(ctx);
    expect(ctx.ran).toEqual(['ip -4 route replace 10.4.11.0/24 via 10.4.0.20 dev eth1 proto static']);

    const r = (await plan([{ to: '10.4.11.0/24', via: '10.4.0.21' }], have)).p;
    expect(r.kind === 'change' && r.changes[0].summary).toBe('replace route 10.4.11.0/24 via 10.4.0.20 dev eth1 with 10.4.11.0/24 via 10.4.0.21 dev eth1');
  });

  it('finds dev by `ip route get` when no configured link holds the gateway; fails clearly when nothing does', async () => {
    const { p } = await plan([{ to: '198.51.100.0/24', via: '192.0.2.254' }], [], { 'ip-route-get': { dev: 'lwv0' } });
    expect(p.kind === 'change' && p.changes[0].summary).toBe('add route 198.51.100.0/24 via 192.0.2.254 dev lwv0');
    await expect(plan([{ to: '198.51.100.0/24', via: '192.0.2.254' }], [], { 'ip-route-get': undefined })).rejects.toThrow('cannot tell the interface for gateway 192.0.2.254');
  });

  it('state absent deletes only the matching non-kernel routes', async () => {
    const have = [
      { dst: '10.4.11.0/24', gateway: '10.4.0.20', dev: 'eth1', protocol: 'static', metric: 10, flags: [] },
      { dst: '10.4.0.0/20', dev: 'eth1', protocol: 'kernel', flags: [] },
    ];
    const { p, ctx } = await plan([{ to: '10.4.11.0/24', state: 'absent' }], have);
    expect(p.kind).toBe('change');
    if (p.kind !== 'change') return;
    await p.apply(ctx);
    expect(ctx.ran).toEqual(['ip -4 route del 10.4.11.0/24 via 10.4.0.20 dev eth1 metric 10']);
    expect((await plan([{ to: '10.4.0.0/20', state: 'absent' }], have)).p.kind).toBe('ok');
    expect((await plan([{ to: '10.4.11.0/24', metric: 20, state: 'absent' }], have)).p.kind).toBe('ok');
  });
});

describe('routes on the path to the controller are guarded', () => {
  const links = parse({}).links;
  const defaultVia1 = { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', protocol: 'dhcp', flags: [] };
  const plan = async (routes: unknown[], table: object[], path: unknown) => {
    const [e] = expandRoutes(parse({ routes }).routes);
    const ctx = fakeCtx({ 'ip-routes': live(table), 'controller-path': path });
    return { p: await routeOp(e, links, { rollbackAfterSec: 30, stateDir: '/var/lib/lw' }).plan(ctx), ctx };
  };
  const guardedSummary = 'activate with automatic rollback after 30s unless confirmed over a new connection';
  const summaries = (p: Plan) => (p.kind === 'ok' ? [] : p.changes.map((c) => c.summary));
  /** The command the rollback timer runs (the systemd-run with --on-active). */
  const rollbackOf = (ran: string[]) => {
    const armed = ran.find((c) => c.includes('--on-active=30'))!;
    // the script it arms is valid sh (systemd-run's 7th argument is the script of `sh -c`)
    execFileSync('bash', ['-c', `systemd-run() { sh -n -c "$7"; }; ${armed.split(' && date ')[0]}`]);
    return armed;
  };

  it('replacing the default route: activated detached, confirmed over a new connection, the old route (and its protocol) restored unless confirmed', async () => {
    const { p, ctx } = await plan([{ to: 'default', via: '192.0.2.254', dev: 'eth0' }], [defaultVia1], { address: '198.51.100.7', via: '192.0.2.1', dev: 'eth0' });
    expect(summaries(p)).toEqual(['replace route default via 192.0.2.1 dev eth0 with default via 192.0.2.254 dev eth0', guardedSummary]);
    if (p.kind === 'ok') return;
    await p.apply(ctx);
    // never run on the controller's own connection, which the change may cut
    expect(ctx.ran).not.toContain('ip -4 route replace default via 192.0.2.254 dev eth0 proto static');
    expect(ctx.ran.find((c) => c.includes('--unit=labwright-activate-'))).toContain('ip -4 route replace default via 192.0.2.254 dev eth0 proto static');
    expect(rollbackOf(ctx.ran)).toContain('ip -4 route replace default via 192.0.2.1 dev eth0 metric 0 proto dhcp');
  });

  it('deleting the default route is guarded and undone by putting it back', async () => {
    const { p, ctx } = await plan([{ to: 'default', state: 'absent' }], [defaultVia1], undefined);
    expect(summaries(p)).toEqual(['delete route default via 192.0.2.1 dev eth0', guardedSummary]);
    if (p.kind === 'ok') return;
    await p.apply(ctx);
    expect(ctx.ran.find((c) => c.includes('--unit=labwright-activate-'))).toContain('ip -4 route del default via 192.0.2.1 dev eth0 metric 0');
    expect(rollbackOf(ctx.ran)).toContain('ip -4 route replace default via 192.0.2.1 dev eth0 metric 0 proto dhcp');
  });

  it('a new route holding the controller\'s address (or its gateway) is guarded and undone by deleting it; other routes are not', async () => {
    const path = { address: '198.51.100.7', via: '192.0.2.1', dev: 'eth0' };
    const toCtl = await plan([{ to: '198.51.100.0/24', via: '192.0.2.9', dev: 'eth0' }], [defaultVia1], path);
    expect(summaries(toCtl.p)).toEqual(['add route 198.51.100.0/24 via 192.0.2.9 dev eth0', guardedSummary]);
    if (toCtl.p.kind === 'ok') return;
    await toCtl.p.apply(toCtl.ctx);
    expect(rollbackOf(toCtl.ctx.ran)).toContain('ip -4 route del 198.51.100.0/24 via 192.0.2.9 dev eth0 metric 0');

    const toGw = await plan([{ to: '192.0.2.1/32', dev: 'lo' }], [defaultVia1], path);
    expect(summaries(toGw.p)).toContain(guardedSummary);

    const elsewhere = await plan([{ to: '203.0.113.0/24', via: '192.0.2.9', dev: 'eth0' }], [defaultVia1], path);
    expect(summaries(elsewhere.p)).toEqual(['add route 203.0.113.0/24 via 192.0.2.9 dev eth0']);
    if (elsewhere.p.kind === 'ok') return;
    await elsewhere.p.apply(elsewhere.ctx);
    expect(elsewhere.ctx.ran).toEqual(['ip -4 route replace 203.0.113.0/24 via 192.0.2.9 dev eth0 proto static']);
    // an IPv6 default route does not carry an IPv4 controller's traffic
    expect(summaries((await plan([{ to: 'default6', via: 'fe80::1', dev: 'eth0' }], [], path)).p)).not.toContain(guardedSummary);
  });

  it('reads the controller\'s address through sudo from the session\'s environment, and the route to it', () => {
    const f = controllerPath();
    expect(f.parse({ stdout: '172.18.0.1\n[{"dst":"172.18.0.1","dev":"eth0","prefsrc":"172.18.0.2","flags":[],"uid":0,"cache":[]}]\n', code: 0 })).toEqual({
      address: '172.18.0.1',
      via: undefined,
      dev: 'eth0',
    });
    expect(f.parse({ stdout: '::ffff:10.0.0.1\n[]\n', code: 0 })).toEqual({ address: '10.0.0.1', via: undefined, dev: undefined });
    expect(f.parse({ stdout: '', code: 0 })).toBeUndefined();
    // like sudo, `env -i` drops SSH_CONNECTION: the command finds it in the environment of the process that started it
    const viaSudo = ['-c', 'env -i sh -c "$0"; true', f.command.text];
    const stdout = execFileSync('sh', viaSudo, { encoding: 'utf8', env: { ...process.env, SSH_CONNECTION: '192.0.2.77 50000 192.0.2.5 22' } });
    expect(stdout.split('\n')[0]).toBe('192.0.2.77');
    expect(execFileSync('sh', viaSudo, { encoding: 'utf8', env: { PATH: process.env.PATH } })).toBe('');
  });
});

describe('persistence', () => {
  it('networkd drop-in: one [Route] per route; on-link routes get Scope=link', () => {
    expect(renderNetworkdRoutes([{ to: '10.4.11.0/24', via: '10.4.0.20', metric: 100 }, { to: 'default6', via: 'fe80::1', onlink: true, table: 100 }, { to: '10.4.12.0/22', dev: 'eth0' }])).toBe(
      '# Managed by labwright (role static-routes): local changes are overwritten.\n' +
        '[Route]\nDestination=10.4.11.0/24\nGateway=10.4.0.20\nMetric=100\n\n' +
        '[Route]\nDestination=::/0\nGateway=fe80::1\nGatewayOnLink=yes\nTable=100\n\n' +
        '[Route]\nDestination=10.4.12.0/22\nScope=link\n',
    );
  });

  it('Netplan: routes under each link\'s own section', () => {
    const doc = parseYaml(
      renderNetplanRoutes(new Map([['br0', { type: 'bridges' as const, routes: [{ to: '10.4.11.0/24', via: '10.4.0.20', metric: 100, onlink: true, table: 7, src: '10.4.0.11' }, { to: '10.4.12.0/22' }] }]])),
    );
    expect(doc).toEqual({
      network: {
        version: 2,
        bridges: { br0: { routes: [{ to: '10.4.11.0/24', via: '10.4.0.20', metric: 100, 'on-link': true, table: 7, from: '10.4.0.11' }, { to: '10.4.12.0/22', scope: 'link' }] } },
      },
    });
  });

  it('ifupdown hooks: valid sh, one case per interface, replace on up and del on down', () => {
    const byDev = new Map([['eth0', [{ to: '10.4.11.0/24', dev: 'eth0' }]], ['br0', [{ to: '10.4.12.0/22', via: '10.4.0.20' }]]]);
    const up = renderIfupdownHook('up', byDev);
    const down = renderIfupdownHook('down', byDev);
    for (const s of [up, down]) execFileSync('sh', ['-n', '-c', s]);
    expect(up).toContain('  br0)\n    ip -4 route replace 10.4.12.0/22 via 10.4.0.20 dev br0 proto static 2>/dev/null || true\n    ;;');
    expect(up).toContain('  eth0)\n    ip -4 route replace 10.4.11.0/24 dev eth0 proto static 2>/dev/null || true');
    expect(down).toContain('ip -4 route del 10.4.12.0/22 via 10.4.0.20 dev br0 metric 0 2>/dev/null || true');
    const out = execFileSync('sh', ['-c', `ip() { echo "ip $*"; }; IFACE=br0; ${up.replace('#!/bin/sh', '')}`], { encoding: 'utf8' });
    expect(out).toBe('ip -4 route replace 10.4.12.0/22 via 10.4.0.20 dev br0 proto static\n');
  });

  it('decides per route: the networking link\'s drop-in, or networkctl\'s file in auto mode, or ifupdown, or none', async () => {
    const ctx = fakeCtx({
      'networkd-links': [
        { name: 'eth2', state: 'configured', operational: 'routable', networkFile: '/etc/systemd/network/20-eth2.network' },
        { name: 'eth3', state: 'configured', operational: 'routable', networkFile: '/run/systemd/network/10-netplan-eth3.network' },
      ],
      'ifupdown-ifaces': ['eth4'],
    });
    const v = parse({
      renderer: 'auto',
      routes: [
        { to: '10.5.0.0/16', dev: 'eth2' },
        { to: '10.6.0.0/16', dev: 'eth3' },
        { to: '10.7.0.0/16', dev: 'eth4' },
        { to: '10.8.0.0/16', dev: 'eth5' },
        { to: '10.9.0.0/16', dev: 'eth5', state: 'absent' },
      ],
    });
    const p = await persistPlan(ctx, v);
    expect([...p.networkd.keys()]).toEqual(['/etc/systemd/network/20-eth2.network.d/60-labwright-routes.conf']);
    expect([...p.netplan.keys()]).toEqual(['eth3']);
    expect([...p.ifupdown.keys()]).toEqual(['eth4']);
    expect(p.none.map((r) => r.to)).toEqual(['10.8.0.0/16']);

    // with the networking role's vars (renderer and links derived): its file, known without asking the host (honest --check)
    const derived = parse({ renderer: 'networkd', links: { br0: { type: 'bridges', addresses: ['10.4.0.11/20'] } }, routes: [{ to: '10.4.11.0/24', via: '10.4.0.20' }] });
    const fromVars = await persistPlan(fakeCtx({}), derived);
    expect([...fromVars.networkd]).toEqual([['/etc/systemd/network/10-labwright-br0.network.d/60-labwright-routes.conf', [{ to: '10.4.11.0/24', via: '10.4.0.20', dev: 'br0', metric: undefined, onlink: undefined, table: undefined, src: undefined }]]]);

    await expect(persistPlan(fakeCtx({ 'networkd-links': [] }), parse({ renderer: 'networkd', routes: [{ to: '10.5.0.0/16', dev: 'eth9' }] }))).rejects.toThrow(
      'eth9 is not managed by systemd-networkd',
    );
  });
});


describe('dev_of: the interface of the host\'s own route to a subnet (seed 001: the MetalLB pool through the primary interface)', () => {
  const pool = { to: '10.4.11.0 - 10.4.15.254', dev_of: '10.4.0.0/20' };
  const connected = [{ dst: '10.4.0.0/20', dev: 'end0', protocol: 'kernel', scope: 'link', prefsrc: '10.4.0.14', flags: [] }];
  const table = (rows: object[]) => live(rows);

  it('takes the interface the kernel has the LAN on (a Pi\'s end0), for the live route and where it persists', async () => {
    const v = parse({ renderer: 'ifupdown', routes: [pool] });
    const [first] = expandRoutes(v.routes);
    const ctx = fakeCtx({ 'ip-routes': table(connected), 'controller-path': { address: '192.0.2.50', dev: 'eth9' } });
    const p = await routeOp(first!, v.links, { rollbackAfterSec: 30 }).plan(ctx);
    expect(p.kind === 'change' && p.changes[0]!.summary).toBe('add route 10.4.11.0/24 dev end0');
    const persisted = await persistPlan(ctx, v);
    expect([...persisted.ifupdown.keys()]).toEqual(['end0']);
    // every CIDR of the pool (11 of them up to .254), each through end0
    expect(persisted.ifupdown.get('end0')!.map((r) => [r.to, r.dev])).toEqual(expandRoutes(v.routes).map((e) => [e.spec.to, 'end0']));
  });

  it('prefers the networking role\'s link on that subnet (known without asking the host)', async () => {
    const v = parse({ renderer: 'networkd', links: { br0: { type: 'bridges', addresses: ['10.4.0.14/20'] } }, routes: [pool] });
    const persisted = await persistPlan(fakeCtx({}), v);
    expect([...persisted.networkd.keys()]).toEqual(['/etc/systemd/network/10-labwright-br0.network.d/60-labwright-routes.conf']);
  });

  it('refuses a host with no route of its own to the subnet, and dev with dev_of', async () => {
    const v = parse({ renderer: 'ifupdown', routes: [pool] });
    await expect(persistPlan(fakeCtx({ 'ip-routes': table([]) }), v)).rejects.toThrow('route 10.4.11.0/24: the host has no route to 10.4.0.0/20 of its own (not on that network), so dev_of finds no interface: set dev');
    expect(() => parse({ routes: [{ ...pool, dev: 'eth0' }] })).toThrow('set dev or dev_of, not both');
  });
});

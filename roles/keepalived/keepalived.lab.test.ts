import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play } from '../../src/engine/definitions.js';
import { nthHost } from '../../src/net/address.js';
import { secret } from '../../src/secret.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { haproxy } from '../haproxy/index.js';
import { expectNoChanges, hostFingerprint, mainProcess, putFile, runPlays, startAnswerServer, startReadyzServer, tcpRead, waitFor } from '../haproxy/lab-support.js';
import { interfaces } from '../../src/facts/builtin.js';
import { loadInventory } from '../../src/inventory/index.js';
import { keepalived, renderKeepalivedConfig } from './index.js';
import { keepalivedModel } from './model.js';
import { keepalivedVars } from './vars.js';
import { shOn } from '../../test/support/lab-shell.js';

/**
 * Two gateways (seed 003) sharing one VIP: haproxy + keepalived on both, in
 * front of cp1, a stand-in kube-apiserver (HTTPS GET /readyz on 6443). The
 * VIP is a free address of the lab network (its last host address). Each
 * gateway also answers on :8080 with its own name, so a connection to
 * VIP:8080 from the controller tells who really holds the VIP.
 */
let lab: Lab;
let gw1: LabHost;
let gw2: LabHost;
let cp1: LabHost;
let vip: string;
const WHOAMI = 8080;
/** Generous bounds: these are "it happens", not speed assertions. */
const FAILOVER_BOUND_MS = 30_000;

type KeepalivedParams = Parameters<typeof keepalived.with>[0];
const run = (flags: string[] = [], params: Partial<KeepalivedParams> = {}) =>
  runPlays(
    lab,
    [
      play({
        name: 'gateways',
        hosts: 'gateways',
        roles: [haproxy, keepalived.with(params)],
      }),
    ],
    flags,
  );

async function holdsVip(host: LabHost): Promise<boolean> {
  return (await shOn(host, 'ip -4 -o addr show dev eth0')).includes(` ${vip}/`);
}

/** Which gateways hold the VIP right now. */
async function holders(): Promise<string[]> {
  const held = await Promise.all([gw1, gw2].map(async (h) => ((await holdsVip(h)) ? h.name : undefined)));
  return held.filter((h): h is string => h !== undefined);
}

/** Waits until exactly `name` holds the VIP and answers on it; returns the ms from `since` (default: now) until it held it. */
async function vipSettlesOn(name: string, what: string, since = Date.now()): Promise<number> {
  await waitFor(`the VIP on ${name} only (${what})`, async () => {
    const h = await holders();
    return h.length === 1 && h[0] === name ? true : undefined;
  }, FAILOVER_BOUND_MS);
  const ms = Date.now() - since;
  // real traffic: the controller reaches the VIP and the holder answers
  const { value: answer } = await waitFor(`${name} answering on the VIP`, async () => {
    const a = await tcpRead(vip, WHOAMI, 2000);
    return a === name ? a : undefined;
  }, 10_000);
  expect(answer).toBe(name);
  return ms;
}

const figures: string[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

beforeAll(async () => {
  lab = await startLab({
    name: `keepalived-${process.pid}`,
    hosts: [
      // load_balancers: the group the site playbook runs haproxy on, so keepalived's default check asks the API through it
      { name: 'gw1', groups: ['gateways', 'load_balancers'] },
      { name: 'gw2', groups: ['gateways', 'load_balancers'] },
      { name: 'cp1', groups: ['control_plane'] },
    ],
  });
  [gw1, gw2] = [lab.host('gw1'), lab.host('gw2')];
  cp1 = lab.host('cp1');
  await startReadyzServer(cp1, 'fake-apiserver', 6443);
  // The last host address of the lab network: Docker hands out addresses from the bottom.
  vip = nthHost(lab.network.subnet, -1);
  expect(lab.hosts.map((h) => h.ip)).not.toContain(vip);
  // group_vars-style: the VIP is set once for the group; peers, priorities and the VRID are derived
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.children.gateways.vars = { keepalived: { vip } };
  await writeFile(lab.inventoryPath, stringify(inventory));
  await Promise.all([gw1, gw2].map((h) => startAnswerServer(h, 'whoami', WHOAMI, h.name)));
});

afterAll(async () => {
  if (figures.length > 0) console.log(`keepalived figures:\n  ${figures.join('\n  ')}`);
  await lab?.stop();
});

describe('keepalived on two lab gateways', () => {
  it('--check changes nothing and shows the planned config', async () => {
    const before = await Promise.all([gw1, gw2].map((h) => hostFingerprint(h, ['haproxy', 'keepalived'])));
    const { code, out } = await run(['--check', '--diff']);
    expect(code, out).toBe(0);
    const vrid = Number(vip.split('.')[3]);
    expect(out).toContain('create /etc/keepalived/keepalived.conf (0600 root:root)');
    expect(out).toContain(`+    virtual_router_id ${vrid}`);
    expect(out).toContain('+    priority 150');
    expect(out).toContain('+    priority 140');
    expect(out).toContain(`+        ${vip}/${lab.network.subnet.split('/')[1]} dev eth0`);
    expect(out).toContain('+    weight -20');
    // defaults: the API through haproxy answers /readyz; unicast adverts to the other gateway
    expect(out).toContain('+    script "/usr/bin/curl -sfk --max-time 2 -o /dev/null https://127.0.0.1:6443/readyz"');
    expect(out).toContain(`+    unicast_src_ip ${gw1.ip}`);
    expect(out).toContain(`+    unicast_src_ip ${gw2.ip}`);
    expect(await Promise.all([gw1, gw2].map((h) => hostFingerprint(h, ['haproxy', 'keepalived'])))).toEqual(before);
    expect(await holders()).toEqual([]);
  });

  it('applies: the VIP comes up on the first host', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    for (const h of [gw1, gw2]) {
      expect((await shOn(h, 'systemctl is-active keepalived haproxy; systemctl is-enabled keepalived haproxy')).trim().split('\n')).toEqual([
        'active', 'active', 'enabled', 'enabled',
      ]);
    }
    figures.push(`VIP up on gw1 ${seconds(await vipSettlesOn('gw1', 'first start'))} after the first apply finished`);
  });

  it('a second apply changes nothing', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expectNoChanges(out, ['gw1', 'gw2']);
    expect(await holders()).toEqual(['gw1']);
  });

  it('stopping keepalived on the first host moves the VIP to the second; starting it brings the VIP back (preempt)', async () => {
    let t0 = Date.now();
    await shOn(gw1, 'systemctl stop keepalived');
    figures.push(`keepalived stopped on gw1 → VIP on gw2 after ${seconds(await vipSettlesOn('gw2', 'keepalived stopped on gw1', t0))}`);
    t0 = Date.now();
    await shOn(gw1, 'systemctl start keepalived');
    figures.push(`keepalived started on gw1 → VIP back on gw1 after ${seconds(await vipSettlesOn('gw1', 'keepalived back on gw1', t0))}`);
  });

  it('stopping haproxy on the first host (track script) moves the VIP; starting it brings the VIP back', async () => {
    let t0 = Date.now();
    await shOn(gw1, 'systemctl stop haproxy');
    figures.push(`haproxy stopped on gw1 → VIP on gw2 after ${seconds(await vipSettlesOn('gw2', 'haproxy stopped on gw1', t0))} (check every 2 s, fall 2)`);
    expect((await shOn(gw1, 'systemctl is-active keepalived')).trim()).toBe('active');
    t0 = Date.now();
    await shOn(gw1, 'systemctl start haproxy');
    figures.push(`haproxy started on gw1 → VIP back on gw1 after ${seconds(await vipSettlesOn('gw1', 'haproxy back on gw1', t0))} (rise 2)`);
  });

  it('the API behind haproxy stops answering on the first host (its path to the apiserver is cut): the VIP moves; restored, it comes back', async () => {
    expect((await shOn(gw1, 'curl -sfk --max-time 2 https://127.0.0.1:6443/readyz')).trim()).toBe('ok');
    let t0 = Date.now();
    await shOn(gw1, `ip route add blackhole ${cp1.ip}/32`);
    try {
      figures.push(`API unreachable behind haproxy on gw1 → VIP on gw2 after ${seconds(await vipSettlesOn('gw2', 'gw1 cannot reach the apiserver', t0))} (haproxy inter 2s fall 3, then the check every 2 s, fall 2)`);
      expect((await shOn(gw1, 'systemctl is-active haproxy keepalived')).trim()).toBe('active\nactive');
    } finally {
      await shOn(gw1, `ip route del blackhole ${cp1.ip}/32`);
    }
    t0 = Date.now();
    figures.push(`API reachable again from gw1 → VIP back on gw1 after ${seconds(await vipSettlesOn('gw1', 'gw1 reaches the apiserver again', t0))}`);
  });

  it('a config change reloads keepalived (same PID) and the VIP stays where it is', async () => {
    const before = await Promise.all([gw1, gw2].map((h) => mainProcess(h, 'keepalived')));
    // sample who holds the VIP while the change is applied and for a few seconds after
    let sampling = true;
    const samples = new Set<string>();
    const sampler = (async () => {
      const until = () => sampling;
      while (until()) samples.add((await holders()).join('+') || 'nobody');
    })();
    const { code, out } = await run([], { track: { interval: 1 } });
    await new Promise((r) => setTimeout(r, 4000));
    sampling = false;
    await sampler;
    expect([...samples]).toEqual(['gw1']);
    expect(code, out).toBe(0);
    expect(out).toContain('RUNNING HANDLER [keepalived : reload keepalived]');
    expect(out).not.toContain('RUNNING HANDLER [haproxy');
    expect(await Promise.all([gw1, gw2].map((h) => mainProcess(h, 'keepalived')))).toEqual(before);
    expect(await shOn(gw1, 'cat /etc/keepalived/keepalived.conf')).toContain('    interval 1\n');
    expect(await holders()).toEqual(['gw1']);
    expect(await tcpRead(vip, WHOAMI)).toBe('gw1');
  });

  it('unicast peers and PASS authentication render, pass keepalived -t, and fail over', async () => {
    const params = { unicast: true, auth_pass: secret('s3cr3tpw') };
    const { code, out } = await run(['--diff'], params);
    expect(code, out).toBe(0);
    expect(out).toContain('/etc/keepalived/keepalived.conf: content changed, secret — not shown');
    expect(out).not.toContain('s3cr3tpw');
    const conf1 = await shOn(gw1, 'cat /etc/keepalived/keepalived.conf');
    expect(conf1).toContain(`    unicast_src_ip ${gw1.ip}\n    unicast_peer {\n        ${gw2.ip}\n    }\n`);
    expect(conf1).toContain('        auth_type PASS\n        auth_pass s3cr3tpw\n');
    expect(await shOn(gw2, 'cat /etc/keepalived/keepalived.conf')).toContain(`    unicast_src_ip ${gw2.ip}\n    unicast_peer {\n        ${gw1.ip}\n    }\n`);
    // what was written passed the validator; check it again on the live file
    for (const h of [gw1, gw2]) expect((await h.exec(['keepalived', '-t', '-f', '/etc/keepalived/keepalived.conf'])).exitCode).toBe(0);
    expect((await shOn(gw1, 'stat -c %a /etc/keepalived/keepalived.conf')).trim()).toBe('600');

    await vipSettlesOn('gw1', 'after switching to unicast');
    let t0 = Date.now();
    await shOn(gw1, 'systemctl stop keepalived');
    figures.push(`unicast+auth: keepalived stopped on gw1 → VIP on gw2 after ${seconds(await vipSettlesOn('gw2', 'unicast, keepalived stopped on gw1', t0))}`);
    t0 = Date.now();
    await shOn(gw1, 'systemctl start keepalived');
    figures.push(`unicast+auth: keepalived started on gw1 → VIP back on gw1 after ${seconds(await vipSettlesOn('gw1', 'unicast, keepalived back', t0))}`);
    expectNoChanges((await run([], params)).out, ['gw1', 'gw2']);
  });

  it('a broken config is refused by keepalived -t before it goes live; the old one keeps running', async () => {
    const params = { unicast: true, auth_pass: secret('s3cr3tpw') };
    const sums = await Promise.all([gw1, gw2].map((h) => shOn(h, 'sha256sum /etc/keepalived/keepalived.conf')));
    const before = await Promise.all([gw1, gw2].map((h) => mainProcess(h, 'keepalived')));
    const { code, out } = await run([], { ...params, extra_config: 'vrrp_instance VI_TYPO {\n    virtual_router_idd 7\n}' });
    expect(code).toBe(2);
    expect(out).toContain('keepalived -t -f');
    expect(out).toContain("Unknown keyword 'virtual_router_idd'");
    expect(out).not.toContain('RUNNING HANDLER [keepalived');
    expect(await Promise.all([gw1, gw2].map((h) => shOn(h, 'sha256sum /etc/keepalived/keepalived.conf')))).toEqual(sums);
    expect(await Promise.all([gw1, gw2].map((h) => mainProcess(h, 'keepalived')))).toEqual(before);
    expect(await holders()).toEqual(['gw1']);
  });

  it('refuses an auth_pass longer than 8 characters before touching any host', async () => {
    const sums = await Promise.all([gw1, gw2].map((h) => shOn(h, 'sha256sum /etc/keepalived/keepalived.conf')));
    const { code, out } = await run([], { unicast: true, auth_pass: secret('s3cr3tpw9') });
    expect(code).toBe(4);
    expect(out).toContain('keepalived.auth_pass: keepalived uses only the first 8 characters');
    expect(out).not.toContain('s3cr3tpw9');
    expect(await Promise.all([gw1, gw2].map((h) => shOn(h, 'sha256sum /etc/keepalived/keepalived.conf')))).toEqual(sums);
  });

  it('every variant of the template passes keepalived -t', async () => {
    const inventory = await loadInventory([lab.inventoryPath]);
    const host = inventory.hosts.get('gw1')!;
    const ifaces = interfaces().parse({ stdout: await shOn(gw1, 'ip -j addr show'), code: 0 });
    const third = nthHost(lab.network.subnet, -2);
    const variants: Record<string, unknown> = {
      defaults: {},
      'three peers, explicit VRID and prefix': {
        peers: [{ name: 'gw1', address: gw1.ip }, { name: 'gw2', address: gw2.ip }, { name: 'gw3', address: third }],
        virtual_router_id: 42,
        vip: `${vip}/32`,
        unicast: true,
      },
      'nopreempt, no track, auth': { preempt: false, track: false, auth_pass: secret('abc12345') },
      'preempt delay': { preempt_delay: 30 },
      'MASTER, custom track': { state: 'MASTER', track: { script: '/usr/bin/test -e /run/haproxy.pid', interval: 3, weight: -50 } },
      'multicast, tracked interface': { unicast: false, track_interfaces: ['eth0', 'lo'] },
    };
    for (const [name, input] of Object.entries(variants)) {
      const vars = keepalivedVars.parse({ vip, ...(input as object) });
      await putFile(gw1, '/tmp/variant.conf', renderKeepalivedConfig(keepalivedModel(vars, host, inventory, ifaces)));
      const { output, exitCode } = await gw1.exec(['keepalived', '-t', '-f', '/tmp/variant.conf']);
      expect(exitCode, `${name}: ${output}`).toBe(0);
    }
  });
});

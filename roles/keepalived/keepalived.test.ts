import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IpAddress } from '../../src/facts/builtin.js';
import { loadInventory } from '../../src/inventory/index.js';
import { planFile } from '../../src/ops/file.js';
import type { Inventory } from '../../src/inventory/types.js';
import { secret } from '../../src/secret.js';
import { renderKeepalivedConfig } from './index.js';
import { checkPlan } from '../../src/plan/check.js';
import { defaultVirtualRouterId, keepalivedClaims, keepalivedModel } from './model.js';
import { keepalivedVars } from './vars.js';

/** Seed 003: two gateways share the LAN VIP 192.168.68.200 (config text only, no traffic). */
const SEED_003 = `all:
  children:
    gateways:
      vars:
        keepalived: { vip: 192.168.68.200 }
      hosts:
        gateway1: { ansible_host: 192.168.68.56 }
        gateway2: { ansible_host: 192.168.68.57 }
    control_plane:
      hosts:
        master1: { ansible_host: 10.10.0.131, keepalived: { vip: 10.10.0.130/24 } }
        master2: { ansible_host: 10.10.0.132, keepalived: { vip: 10.10.0.130/24 } }
        master3: { ansible_host: 10.10.0.133, keepalived: { vip: 10.10.0.130/24 } }
`;

/** The gateways' interfaces: ens160 on the LAN, ens192 on vmnet2 (seed 003). */
function gatewayIfaces(lan: string): IpAddress[] {
  return [
    { ifname: 'lo', mtu: 65536, state: 'UNKNOWN', addresses: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'ens160', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: lan, prefixlen: 24 }] },
    { ifname: 'ens192', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '10.10.0.11', prefixlen: 24 }] },
  ];
}

let inventory: Inventory;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-keepalived-'));
  writeFileSync(join(dir, 'inventory.yaml'), SEED_003);
  inventory = await loadInventory([join(dir, 'inventory.yaml')]);
});

function model(hostName: string, input: Record<string, unknown> = {}, ifaces?: IpAddress[]) {
  const host = inventory.hosts.get(hostName)!;
  const vars = keepalivedVars.parse({ ...(host.vars.keepalived as object), ...input });
  return keepalivedModel(vars, host, inventory, ifaces ?? gatewayIfaces(host.connection.address));
}
const render = (hostName: string, input: Record<string, unknown> = {}, ifaces?: IpAddress[]) =>
  renderKeepalivedConfig(model(hostName, input, ifaces));

describe('keepalived config', () => {
  it('seed 003: peers share the VIP, the first has the highest priority, all BACKUP, VRID from the VIP, VIP on the LAN interface', () => {
    const gw1 = render('gateway1');
    expect(gw1).toContain(
      [
        'vrrp_instance VI_200 {',
        '    state BACKUP',
        '    interface ens160',
        '    virtual_router_id 200',
        '    priority 150',
        '    advert_int 1',
        '    unicast_src_ip 192.168.68.56',
        '    unicast_peer {',
        '        192.168.68.57',
        '    }',
        '    virtual_ipaddress {',
        '        192.168.68.200/24 dev ens160',
        '    }',
        '    track_script {',
        '        chk_health',
        '    }',
        '    track_interface {',
        '        ens192',
        '    }',
        '}',
      ].join('\n'),
    );
    expect(gw1).toContain('global_defs {\n    router_id gateway1\n    enable_script_security\n    script_user root\n}');
    expect(gw1).toContain('    script "/usr/bin/systemctl is-active --quiet haproxy"\n    interval 2\n    fall 2\n    rise 2\n    weight -20\n');
    const gw2 = render('gateway2');
    expect(gw2).toContain('    priority 140\n');
    expect(gw2).toContain('    virtual_router_id 200\n');
    expect(gw1).toContain('    unicast_src_ip 192.168.68.56\n    unicast_peer {\n        192.168.68.57\n    }\n');
    expect(render('gateway1', { unicast: false })).not.toContain('unicast');
    expect(gw1).not.toContain('authentication');
    expect(gw1).not.toContain('nopreempt');
  });

  it('three peers: priorities 150/140/130 and a weight larger than the gap from first to last', () => {
    const ms = ['master1', 'master2', 'master3'].map((h) => model(h, {}, [{ ifname: 'eth0', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: inventory.hosts.get(h)!.connection.address, prefixlen: 24 }] }]));
    expect(ms.map((m) => m.instance.priority)).toEqual([150, 140, 130]);
    expect(ms[0]!.track!.weight).toBe(-30);
    expect(150 + ms[0]!.track!.weight).toBeLessThan(130);
    expect(ms[0]!.instance.vip).toBe('10.10.0.130/24');
    expect(ms[0]!.instance.virtualRouterId).toBe(130);
  });

  it('unicast peers from the group addresses, and PASS authentication from a secret', () => {
    const text = render('gateway2', { unicast: true, auth_pass: secret('s3cr3tpw') });
    expect(text).toContain('    unicast_src_ip 192.168.68.57\n    unicast_peer {\n        192.168.68.56\n    }\n');
    expect(text).toContain('    authentication {\n        auth_type PASS\n        auth_pass s3cr3tpw\n    }\n');
  });

  it('a rotated auth_pass: the planned diff shows neither the new nor the old password, only sizes and sha256', () => {
    const after = render('gateway2', { auth_pass: secret('NEWpw456') });
    const before = after.replace('NEWpw456', 'OLDpw789'); // the password on the host: no longer a known secret
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const info = { exists: true, type: 'file', owner: 'root', group: 'root', mode: '0600', size: before.length, sha256: sha(before), content: before } as const;
    const plan = planFile(info, { path: '/etc/keepalived/keepalived.conf', content: after });
    expect(plan.kind === 'change' && plan.changes[0]!.diff).toEqual({
      path: '/etc/keepalived/keepalived.conf',
      sensitive: true,
      before: { bytes: before.length, sha256: sha(before) },
      after: { bytes: after.length, sha256: sha(after) },
    });
  });

  it('group, explicit peers, interface, prefix, priority, MASTER, nopreempt, no track', () => {
    expect(model('gateway1', { group: 'gateways' }).instance.priority).toBe(150);
    const m = model('gateway2', {
      peers: [{ name: 'gateway2', address: '192.168.68.57' }, { name: 'gateway1', address: '192.168.68.56' }],
      interface: 'ens192',
      vip: '192.168.68.200/32',
      virtual_router_id: 51,
      state: 'BACKUP',
      preempt: false,
      track: false,
    });
    expect(m.instance).toMatchObject({ priority: 150, interface: 'ens192', vip: '192.168.68.200/32', virtualRouterId: 51, name: 'VI_51', nopreempt: true, preemptDelay: null });
    const text = renderKeepalivedConfig(m);
    expect(text).toContain('    advert_int 1\n    nopreempt\n    unicast_src_ip');
    expect(render('gateway1', { preempt_delay: 30 })).toContain('    advert_int 1\n    preempt_delay 30\n');
    expect(text).not.toContain('vrrp_script');
    expect(text).not.toContain('track_script');
    expect(model('gateway1', { state: 'MASTER', priority: 200 }).instance).toMatchObject({ state: 'MASTER', priority: 200 });
    // explicit interface, VIP not on its subnet: /32
    expect(model('gateway1', { interface: 'ens192' }).instance.vip).toBe('192.168.68.200/32');
  });

  it('the VIP prefix does not depend on whether this host holds the VIP right now', () => {
    const holding = gatewayIfaces('192.168.68.56');
    holding[1]!.addresses.push({ family: 'inet', local: '192.168.68.200', prefixlen: 32 });
    expect(render('gateway1', {}, holding)).toBe(render('gateway1'));
  });

  it('falls back to the interface holding the inventory address', () => {
    const ifaces: IpAddress[] = [{ ifname: 'br0', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '192.168.68.56', prefixlen: 32 }] }];
    expect(model('gateway1', { vip: '172.20.0.10', group: 'gateways' }, ifaces).instance).toMatchObject({ interface: 'br0', vip: '172.20.0.10/32' });
  });

  it('refuses what cannot work, saying what to set', () => {
    expect(() => model('gateway1', { group: 'control_plane' })).toThrow(/gateway1 is not among its VRRP peers \(inventory group "control_plane": master1, master2, master3\)/);
    expect(() => model('gateway1', { vip: '192.168.68.201' })).toThrow(/not among its VRRP peers .*none/);
    expect(() => model('gateway1', { interface: 'eth9' })).toThrow(/keepalived.interface eth9 does not exist on gateway1/);
    expect(() => model('gateway1', { vip: '192.168.68.201' , group: 'gateways'}, [{ ifname: 'eth0', mtu: 1500, state: 'UP', addresses: [] }])).toThrow(/set keepalived.interface/);
    expect(() => model('gateway1', { group: 'gateways', vip: '192.168.68.57' })).toThrow(/is the address of peer gateway2/);
    expect(() => model('gateway2', { priority_start: 5, priority_step: 10 })).toThrow(/priority 5 - 1 × 10 = -5 is below 1/);
    expect(() => model('gateway1', { state: 'MASTER', preempt: false })).toThrow(/needs state BACKUP/);
    expect(() => model('gateway1', { preempt: false, preempt_delay: 10 })).toThrow(/preempt_delay means nothing with preempt: false/);
    expect(() => defaultVirtualRouterId('10.0.1.0')).toThrow(/set keepalived.virtual_router_id/);
  });
});

describe('keepalived for inventory/examples/dmz-gateways.yaml (seed 003)', () => {
  let dmz: Inventory;
  beforeAll(async () => {
    dmz = await loadInventory([fileURLToPath(new URL('../../inventory/examples/dmz-gateways.yaml', import.meta.url))]);
  });
  const dmzConfig = (name: string, input: Record<string, unknown> = {}, ifaces = gatewayIfaces(dmz.hosts.get(name)!.connection.address)) => {
    const host = dmz.hosts.get(name)!;
    return renderKeepalivedConfig(keepalivedModel(keepalivedVars.parse({ ...(host.vars.keepalived as object), ...input }), host, dmz, ifaces));
  };

  it('the health check asks the API through haproxy (/readyz), not "is haproxy active" (kubeadm HA guide check_apiserver.sh)', () => {
    expect(dmzConfig('gateway1')).toContain('    script "/usr/bin/curl -sfk --max-time 2 -o /dev/null https://127.0.0.1:6443/readyz"\n');
    expect(dmzConfig('gateway1', { track: { script: '/usr/bin/true' } })).toContain('    script "/usr/bin/true"\n');
  });

  it('tracks the inner NIC (the one towards the masters): losing it puts the gateway in FAULT', () => {
    expect(dmzConfig('gateway1')).toContain('    track_interface {\n        ens192\n    }\n}');
    expect(dmzConfig('gateway1', { track_interfaces: false })).not.toContain('track_interface');
    // single-homed: the backends are on the VRRP interface, nothing else to track
    const single: IpAddress[] = [{ ifname: 'eth0', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '192.168.68.56', prefixlen: 16 }] }];
    expect(dmzConfig('gateway1', { vip: '192.168.68.200' }, single)).not.toContain('track_interface');
  });

  it('VRRP adverts go unicast to the other gateway (multicast only when asked)', () => {
    expect(dmzConfig('gateway1')).toContain('    unicast_src_ip 192.168.68.56\n    unicast_peer {\n        192.168.68.57\n    }\n');
    expect(dmzConfig('gateway2')).toContain('    unicast_src_ip 192.168.68.57\n    unicast_peer {\n        192.168.68.56\n    }\n');
    expect(dmzConfig('gateway1', { unicast: false })).not.toContain('unicast');
  });

  it('on a control plane without haproxy the check asks kube-apiserver itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-keepalived-'));
    writeFileSync(join(dir, 'inventory.yaml'), 'all:\n  children:\n    control_plane:\n      vars: { keepalived: { vip: 10.0.0.10 } }\n      hosts:\n        cp1: { ansible_host: 10.0.0.11 }\n        cp2: { ansible_host: 10.0.0.12 }\n');
    const inv = await loadInventory([join(dir, 'inventory.yaml')]);
    const host = inv.hosts.get('cp1')!;
    const ifaces: IpAddress[] = [{ ifname: 'eth0', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '10.0.0.11', prefixlen: 24 }] }];
    const m = keepalivedModel(keepalivedVars.parse({ vip: '10.0.0.10' }), host, inv, ifaces);
    expect(m.track?.script).toBe('/usr/bin/curl -sfk --max-time 2 -o /dev/null https://127.0.0.1:6443/readyz');
  });
});

describe('keepalived on dual-homed gateways and in the plan check', () => {
  /** Seed 003 as it is really managed: over vmnet2 (ansible_host), the LAN address in `ip`, the LAN in `lan`. */
  const DUAL = `all:
  vars:
    lan: { subnet: 192.168.68.0/24 }
  children:
    gateways:
      vars:
        keepalived: { vip: 192.168.68.200 }
      hosts:
        gateway1: { ansible_host: 10.10.0.11, ip: 192.168.68.56 }
        gateway2: { ansible_host: 10.10.0.12, ip: 192.168.68.57 }
`;
  let dual: Inventory;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-keepalived-'));
    writeFileSync(join(dir, 'inventory.yaml'), DUAL);
    dual = await loadInventory([join(dir, 'inventory.yaml')]);
  });
  const varsOf = (inv: Inventory, name: string, extra: Record<string, unknown> = {}) =>
    keepalivedVars.parse({ ...(inv.hosts.get(name)!.vars.keepalived as object), ...extra });

  it('unicast peers use the addresses on the VIP\'s subnet, not the management ones', () => {
    const host = dual.hosts.get('gateway1')!;
    const m = keepalivedModel(varsOf(dual, 'gateway1', { unicast: true }), host, dual, gatewayIfaces('192.168.68.56'));
    expect(m.instance.unicast).toEqual({ src: '192.168.68.56', peers: ['192.168.68.57'] });
    expect(m.instance.interface).toBe('ens160');
  });

  it('claims the VIP once for all peers and its VRID on the LAN; the plan check catches collisions', () => {
    const claims = ['gateway1', 'gateway2'].flatMap((h) => keepalivedClaims(varsOf(dual, h), dual.hosts.get(h)!));
    expect(claims).toContainEqual({ kind: 'vrrp', by: 'keepalived on gateway1', segment: '192.168.68.0/24', routerId: 200, vip: '192.168.68.200' });
    expect(checkPlan(claims)).toEqual([]);
    const other = keepalivedClaims(keepalivedVars.parse({ vip: '192.168.68.201', virtual_router_id: 200 }), dual.hosts.get('gateway1')!);
    const problems = checkPlan([...claims, ...other]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^VRRP router id 200 is used twice on 192.168.68.0\/24: VIP 192.168.68.200 .* and VIP 192.168.68.201/);
    const onNode = keepalivedClaims(keepalivedVars.parse({ vip: '192.168.68.57' }), dual.hosts.get('gateway1')!);
    expect(checkPlan([...onNode, { kind: 'address', by: 'inventory: gateway2', ip: '192.168.68.57', purpose: 'node', what: 'gateway2', host: 'gateway2' }])[0]).toMatch(
      /192.168.68.57 is claimed 2 times/,
    );
  });
});

describe('keepalived vars', () => {
  const issues = (input: unknown) => keepalivedVars.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  it('wants the password as a secret of at most 8 characters, and rejects typos and bad values', () => {
    expect(issues({ vip: '192.168.68.200', auth_pass: 's3cr3tpw' })).toEqual(['auth_pass: expected a secret: tag it !secret in the inventory']);
    expect(issues({ vip: '192.168.68.200', auth_pass: secret('ninechars') })).toEqual([
      'auth_pass: keepalived uses only the first 8 characters of auth_pass, and a secret needs at least 4: use 4 to 8 characters',
    ]);
    expect(issues({ vip: '192.168.68.200', auth_pass: secret('eightchr') })).toEqual([]);
    expect(issues({ vip: '192.168.68.300' })[0]).toMatch(/^vip: expected an IPv4 address/);
    expect(issues({ vip: '10.1' })[0]).toMatch(/^vip: expected an IPv4 address/);
    expect(issues({})[0]).toMatch(/^vip:/);
    expect(issues({ vip: '10.0.0.1', virtual_router_id: 256 })[0]).toMatch(/^virtual_router_id/);
    expect(issues({ vip: '10.0.0.1', track: { script: 'pidof haproxy' } })[0]).toMatch(/^track.script: expected an absolute command path/);
    expect(issues({ vip: '10.0.0.1', track: { weight: 20 } })[0]).toMatch(/^track.weight/);
    expect(issues({ vip: '10.0.0.1', priorty: 100 })).toEqual([': Unrecognized key: "priorty"']);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { site } from '../../playbooks/site.js';
import { main } from '../../src/cli/main.js';
import { controlPlaneEndpoint } from '../../src/net/control-plane-endpoint.js';
import { captureIo } from '../../test/support/io.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { parseHaproxyVv, type HaproxyBuild } from './facts.js';
import type { RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { haproxy, haproxyDefaults, renderHaproxyConfig } from './index.js';
import { checkPlan } from '../../src/plan/check.js';
import { haproxyClaims, haproxyModel, wantsNonlocalBind } from './model.js';
import { haproxyVars, type HaproxyVars } from './vars.js';

/** Seed 003: two gateways in front of three masters and two workers on vmnet2 (config text only, no traffic). */
const SEED_003 = `all:
  children:
    gateways:
      hosts:
        gateway1: { ansible_host: 192.168.68.56 }
        gateway2: { ansible_host: 192.168.68.57 }
    control_plane:
      hosts:
        master1: { ansible_host: 10.10.0.131 }
        master2: { ansible_host: 10.10.0.132 }
        master3: { ansible_host: 10.10.0.133 }
    workers:
      hosts:
        worker1: { ansible_host: 10.10.0.141 }
        worker2: { ansible_host: 10.10.0.142 }
    empty_group:
      hosts: {}
`;

let inventory: Inventory;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-haproxy-'));
  writeFileSync(join(dir, 'inventory.yaml'), SEED_003);
  inventory = await loadInventory([join(dir, 'inventory.yaml')]);
});

const WITH_PROMEX: HaproxyBuild = { version: '2.6.12-1+deb12u3', prometheus: true };
const WITHOUT_PROMEX: HaproxyBuild = { version: '2.4.0', prometheus: false };

/** `build` 'not installed' = the fact found no haproxy binary. */
function render(input: unknown, build: HaproxyBuild | 'not installed' = WITH_PROMEX) {
  const { model, assumption } = haproxyModel(haproxyVars.parse(input), inventory, build === 'not installed' ? undefined : build);
  return { text: renderHaproxyConfig(model), assumption };
}

describe('haproxy config', () => {
  it('defaults: the API of every control_plane host, round robin, readyz over TLS, 1h timeouts, Prometheus on 8405', () => {
    const { text, assumption } = render({});
    expect(assumption).toBeUndefined();
    expect(text).toContain('frontend k8s-api\n    bind :6443\n    default_backend k8s-api\n');
    expect(text).toContain(
      [
        'backend k8s-api',
        '    balance roundrobin',
        '    option httpchk GET /readyz',
        '    http-check expect status 200',
        '    server master1 10.10.0.131:6443 check inter 2s fall 3 rise 2 check-ssl verify none',
        '    server master2 10.10.0.132:6443 check inter 2s fall 3 rise 2 check-ssl verify none',
        '    server master3 10.10.0.133:6443 check inter 2s fall 3 rise 2 check-ssl verify none',
      ].join('\n'),
    );
    expect(text).toMatch(/defaults\n(.*\n)*    mode tcp\n/);
    expect(text).toContain('    timeout client 1h\n    timeout server 1h\n');
    expect(text).toContain('    bind :8405\n    http-request use-service prometheus-exporter if { path /metrics }\n');
    expect(text).not.toContain('stats uri');
    expect(text).not.toContain('ingress');
  });

  it('serves the /stats page instead when the build has no Prometheus exporter, and both when asked', () => {
    const without = render({}, WITHOUT_PROMEX).text;
    expect(without).not.toContain('prometheus-exporter');
    expect(without).toContain('    stats enable\n    stats uri /stats\n');
    const both = render({ metrics: { stats_page: true } }).text;
    expect(both).toContain('prometheus-exporter');
    expect(both).toContain('stats uri /stats');
    expect(render({ metrics: { enabled: false } }).text).not.toContain('frontend stats');
  });

  it('says when it has to guess the build (haproxy not installed yet), and refuses Prometheus on a build without it', () => {
    const { text, assumption } = render({}, 'not installed');
    expect(assumption).toMatch(/not installed yet/);
    expect(text).toContain('stats uri /stats');
    expect(render({ metrics: { prometheus: false } }, 'not installed').assumption).toBeUndefined();
    expect(() => render({ metrics: { prometheus: true } }, WITHOUT_PROMEX)).toThrow(/built without the Prometheus exporter/);
  });

  it('TLS passthrough of 443/80 to the workers\' NodePorts 30443/30080 (seed 003)', () => {
    const { text } = render({ ingress: { enabled: true } });
    expect(text).toContain(
      [
        'frontend ingress-https',
        '    bind :443',
        '    tcp-request inspect-delay 5s',
        '    tcp-request content accept if { req.ssl_hello_type 1 }',
        '    default_backend ingress-https',
      ].join('\n'),
    );
    expect(text).toContain('    server worker1 10.10.0.141:30443 check inter 2s fall 3 rise 2\n    server worker2 10.10.0.142:30443 check');
    expect(text).toContain('frontend ingress-http\n    bind :80\n');
    expect(text).toContain('    server worker2 10.10.0.142:30080 check');
    expect(render({ ingress: { enabled: true, http_port: null } }).text).not.toContain('ingress-http\n');
  });

  it('binds a VIP when asked, and then wants ip_nonlocal_bind', () => {
    const gw1 = inventory.hosts.get('gateway1')!;
    const vars = haproxyVars.parse({ api: { bind: '192.168.68.200' } });
    expect(wantsNonlocalBind(vars, gw1)).toBe(true);
    expect(wantsNonlocalBind(haproxyVars.parse({}), gw1)).toBe(false);
    expect(wantsNonlocalBind(haproxyVars.parse({ metrics: { bind: '192.168.68.56' } }), gw1)).toBe(false);
    expect(wantsNonlocalBind(haproxyVars.parse({ api: { bind: '192.168.68.200' }, nonlocal_bind: false }), gw1)).toBe(false);
    expect(render({ api: { bind: '192.168.68.200' } }).text).toContain('bind 192.168.68.200:6443\n');
  });

  it('explicit servers, another group, port, readyz health check, IPv6 backends', () => {
    const text = render({
      api: { port: 7443, servers: [{ name: 'cp1', address: 'fd00::11' }, { name: 'cp2', address: 'cp2.lab.example', port: 16443 }], health_check: 'readyz' },
    }).text;
    expect(text).toContain('bind :7443');
    expect(text).toContain('    option httpchk GET /readyz\n    http-check expect status 200\n');
    expect(text).not.toContain('option tcp-check');
    expect(text).toContain('server cp1 [fd00::11]:6443 check inter 2s fall 3 rise 2 check-ssl verify none');
    expect(text).toContain('server cp2 cp2.lab.example:16443 check');
    expect(render({ api: { group: 'gateways' } }).text).toContain('server gateway2 192.168.68.57:6443');
  });

  it('refuses an API without backends, naming the group', () => {
    expect(() => render({ api: { group: 'masters' } })).toThrow(/group "masters" is missing/);
    expect(() => render({ api: { group: 'empty_group' } })).toThrow(/group "empty_group" is empty/);
    expect(() => render({ ingress: { enabled: true, group: 'nodes' } })).toThrow(/haproxy.ingress has no backends/);
    expect(render({ api: { enabled: false }, metrics: { enabled: false } }).text).not.toContain('frontend');
  });

  it('refuses two frontends on one port', () => {
    expect(() => render({ api: { port: 8405 } })).toThrow(/api and metrics both listen on port 8405/);
    expect(() => render({ api: { port: 8405, bind: '10.0.0.1' }, metrics: { bind: '10.0.0.2' } })).not.toThrow();
  });

  it('appends extra_config verbatim', () => {
    expect(render({ extra_config: 'listen dns\n    bind :5353\n    server d 10.0.0.53:53' }).text).toMatch(/# extra_config\nlisten dns\n    bind :5353\n    server d 10.0.0.53:53\n$/);
  });
});

describe('haproxy defaults from the shared cluster var', () => {
  it('backend groups and the API port follow cluster.*', async () => {
    expect(haproxyDefaults(inventory.hosts.get('gateway1')!)).toEqual({ api: { group: 'control_plane', port: 6443 }, ingress: { group: 'workers' }, metrics: { bind: '192.168.68.56' } });
    const dir = mkdtempSync(join(tmpdir(), 'lw-haproxy-'));
    writeFileSync(
      join(dir, 'inventory.yaml'),
      `all:
  vars:
    cluster: { control_plane_endpoint: 192.168.68.200:7443, control_plane_group: masters, worker_group: nodes }
  children:
    gateways: { hosts: { gw1: {} } }
    masters: { hosts: { m1: { ansible_host: 10.10.0.131 } } }
`,
    );
    const inv = await loadInventory([join(dir, 'inventory.yaml')]);
    const defaults = haproxyDefaults(inv.hosts.get('gw1')!);
    expect(defaults).toEqual({ api: { group: 'masters', port: 7443 }, ingress: { group: 'nodes' } }); // gw1 has no IP address: metrics on every address
    const { model } = haproxyModel(haproxyVars.parse(defaults), inv, WITH_PROMEX);
    expect(renderHaproxyConfig(model)).toContain('    bind :7443\n');
    expect(renderHaproxyConfig(model)).toContain('    server m1 10.10.0.131:6443 check');
  });
});

describe('haproxy in the plan check', () => {
  it('claims its own address as the API load balancer; a VIP bind is left to keepalived', () => {
    const gw1 = inventory.hosts.get('gateway1')!;
    const claims = haproxyClaims(haproxyVars.parse({}), gw1);
    expect(claims).toEqual([
      { kind: 'address', by: 'haproxy on gateway1', ip: '192.168.68.56', purpose: 'loadbalancer', what: 'haproxy on gateway1', host: 'gateway1', port: 6443 },
      { kind: 'listen', by: 'haproxy on gateway1', host: 'gateway1', port: 6443, bind: undefined, at: ['192.168.68.56'], what: 'haproxy API front end on gateway1', api: 'frontend' },
    ]);
    const endpoint = (e: string) => ({ kind: 'endpoint' as const, by: 'inventory', endpoint: e });
    expect(checkPlan([...claims, endpoint('192.168.68.56:6443')])).toEqual([]);
    expect(checkPlan([...claims, endpoint('10.10.0.131:6443')])[0]).toMatch(/neither a VIP nor a load balancer/);
    expect(haproxyClaims(haproxyVars.parse({ api: { bind: '192.168.68.200' } }), gw1).map((c) => c.kind)).toEqual(['listen']);
    expect(haproxyClaims(haproxyVars.parse({ api: { enabled: false } }), gw1)).toEqual([]);
  });
});

/** inventory/home.yaml with the load balancers and the VIP moved onto the control planes (kubeadm HA guide's "keepalived and haproxy on the control plane nodes"). */
function homeWithLbOnControlPlanes(endpoint: string | null, extra = ''): string {
  let text = readFileSync(new URL('../../inventory/home.yaml', import.meta.url), 'utf8')
    .replaceAll('children: { gateways: }', 'children: { control_plane: }')
    .replace('      vars:\n        keepalived:\n          vip: 192.168.50.10\n', '')
    .replace('        control_plane:\n          hosts:', `        control_plane:\n          vars:\n            keepalived: { vip: 192.168.50.10 }${extra}\n          hosts:`);
  text = endpoint === null ? text.replace(/\n\s+control_plane_endpoint: .*/, '') : text.replace(/control_plane_endpoint: .*/, `control_plane_endpoint: ${endpoint}`);
  expect(text).toContain('children: { control_plane: }');
  return text;
}

async function sitePlan(inventoryYaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-haproxy-')), 'inventory.yaml');
  writeFileSync(file, inventoryYaml);
  const io = captureIo();
  const code = await main(site, ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr, inventory: await loadInventory([file]) };
}

describe('haproxy on a control plane node (kube-apiserver already listens on 6443 there)', () => {
  it('the API front end defaults to 8443, and the derived control plane endpoint follows it', async () => {
    const { code, out, inventory: inv } = await sitePlan(homeWithLbOnControlPlanes(null));
    expect(out).toContain('address plan: no conflicts');
    expect(code).toBe(0);
    const cp1 = inv.hosts.get('cp1')!;
    expect(haproxyDefaults(cp1)).toMatchObject({ api: { port: 8443 } });
    const { model } = haproxyModel(haproxyVars.parse(haproxyDefaults(cp1)), inv, WITH_PROMEX);
    expect(renderHaproxyConfig(model)).toContain('frontend k8s-api\n    bind :8443\n');
    expect(renderHaproxyConfig(model)).toContain('    server cp1 192.168.50.11:6443 check');
    expect(controlPlaneEndpoint(inv.hosts.get('w1')!, inv).endpoint).toBe('192.168.50.10:8443');
    // the gateways of home.yaml itself are no control planes: 6443 stays
    expect(haproxyDefaults((await loadInventory([fileURLToPath(new URL('../../inventory/home.yaml', import.meta.url))])).hosts.get('gw1')!)).toMatchObject({ api: { port: 6443 } });
  });

  it('an endpoint at kube-apiserver\'s port is refused by the plan, with the sentence that explains it', async () => {
    const { code, out } = await sitePlan(homeWithLbOnControlPlanes('192.168.50.10:6443'));
    expect(code).toBe(4);
    expect(out).toContain(
      'control plane endpoint 192.168.50.10:6443 (inventory: cluster.control_plane_endpoint): at 192.168.50.10 the Kubernetes API is served on port 8443 ' +
        '(haproxy API front end on cp1, haproxy API front end on cp2, haproxy API front end on cp3), not 6443; ' +
        "on a control plane kube-apiserver holds port 6443, so haproxy's API front end there takes another port (8443 by default, as the kubeadm HA guide does): " +
        'set cluster.control_plane_endpoint to 192.168.50.10:8443',
    );
    expect((await sitePlan(homeWithLbOnControlPlanes('192.168.50.10:8443'))).code).toBe(0);
  });

  it('haproxy.api.port 6443 on a control plane is refused: both would listen on 6443', async () => {
    const { code, out } = await sitePlan(homeWithLbOnControlPlanes(null, '\n            haproxy: { api: { port: 6443 } }'));
    expect(code).toBe(4);
    expect(out).toContain('kube-apiserver on cp1 (inventory: control plane) and haproxy API front end on cp1 (haproxy on cp1) both listen on port 6443 of cp1: one of them cannot start');
  });
});

describe('haproxy for the example inventories', () => {
  async function configOf(file: string, hostName: string) {
    const inv = await loadInventory([fileURLToPath(new URL(`../../${file}`, import.meta.url))]);
    const host = inv.hosts.get(hostName)!;
    const vars = resolveRoleVars(haproxy as RoleUse, host, inv) as HaproxyVars;
    return { text: renderHaproxyConfig(haproxyModel(vars, inv, WITH_PROMEX).model), vars, host };
  }

  it('home.yaml: the API is checked with GET /readyz over TLS, not a bare TCP connect', async () => {
    const { text } = await configOf('inventory/home.yaml', 'gw1');
    expect(text).toContain('backend k8s-api\n    balance roundrobin\n    option httpchk GET /readyz\n    http-check expect status 200\n');
    expect(text).toContain('    server cp1 192.168.50.11:6443 check inter 2s fall 3 rise 2 check-ssl verify none\n');
    expect(text).not.toContain('option tcp-check');
  });

  it('logs go to stdout (the journal): no /dev/log inside the chroot, which only rsyslog creates', async () => {
    const { text } = await configOf('inventory/home.yaml', 'gw1');
    expect(text).toContain('global\n');
    expect(text).toMatch(/\n    log stdout format raw local0\n/);
    expect(text).not.toMatch(/^\s*log \/dev\/log/m);
  });

  it('the stats/metrics frontend binds the management address only, not the VIP or every address', async () => {
    const home = await configOf('inventory/home.yaml', 'gw2');
    expect(home.text).toContain('frontend stats\n    mode http\n    option httplog\n    option dontlog-normal\n    bind 192.168.50.3:8405\n');
    expect(wantsNonlocalBind(home.vars, home.host)).toBe(false);
    // seed 003: managed over the LAN address; the API front end stays on every address
    const dmz = await configOf('inventory/examples/dmz-gateways.yaml', 'gateway1');
    expect(dmz.text).toContain('    bind 192.168.68.56:8405\n');
    expect(dmz.text).toContain('frontend k8s-api\n    bind :6443\n');
  });

  it('seed 001 (goldentooth) keeps TCP checks when it asks for them', async () => {
    expect(render({ api: { health_check: 'tcp' } }).text).toContain('    option tcp-check\n    server master1 10.10.0.131:6443 check inter 2s fall 3 rise 2\n');
  });
});

describe('haproxy vars', () => {
  const issues = (input: unknown) => haproxyVars.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  it('rejects typos, bad times, bad addresses and ports', () => {
    expect(issues({ api: { prot: 6443 } })).toEqual(['api: Unrecognized key: "prot"']);
    expect(issues({ timeouts: { client: '1 hour' } })[0]).toMatch(/timeouts.client: expected a haproxy time/);
    expect(issues({ api: { bind: '10.1' } })[0]).toMatch(/api.bind: expected an IPv4 address/);
    expect(issues({ api: { port: 70000 } })[0]).toMatch(/^api.port:/);
    expect(issues({ api: { servers: [{ name: 'cp 1', address: '10.0.0.1' }] } })[0]).toMatch(/api.servers.0.name/);
  });
});

describe('haproxy -vv', () => {
  it('finds the Prometheus exporter as a fact of the build', () => {
    const debian = 'HAProxy version 2.6.12-1+deb12u3 2025/10/03 - https://haproxy.org/\nFeature list : +EPOLL +PROMEX -QUIC\nBuilt with the Prometheus exporter as a service\n';
    expect(parseHaproxyVv(debian)).toEqual({ version: '2.6.12-1+deb12u3', prometheus: true });
    expect(parseHaproxyVv('HAProxy version 2.2.9 2021/02/06\nFeature list : +EPOLL -PROMEX\n')).toEqual({ version: '2.2.9', prometheus: false });
    expect(parseHaproxyVv('HA-Proxy version 1.8.19 2019/02/11\n')).toEqual({ version: '1.8.19', prometheus: false });
    expect(parseHaproxyVv('sh: haproxy: not found')).toBeUndefined();
  });
});

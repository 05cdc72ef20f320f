import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netplanValidateCommand } from '../../src/net/netplan.js';
import { renderNetplanRoutes } from '../static-routes/render.js';
import { buildModel } from './model.js';
import { NETPLAN_PATH, renderNetplan } from './render.js';
import { networkingVars } from './vars.js';

/**
 * The rendered Netplan YAML through the real `netplan generate` (Debian's
 * netplan.io, when installed on the machine running the tests: it is not in
 * the lab image). Everything happens under a scratch --root-dir: nothing on
 * this machine is configured.
 */
const netplan = ['/usr/sbin/netplan', '/usr/bin/netplan'].find((p) => existsSync(p));

function generate(files: Record<string, string>): { code: number; out: string; network: Record<string, string>; nm: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'lw-netplan-'));
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'etc/netplan', name), content, { mode: 0o600 });
  const r = spawnSync(netplan!, ['generate', '--root-dir', root], { encoding: 'utf8' });
  const dir = join(root, 'run/systemd/network');
  const network = existsSync(dir) ? Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')])) : {};
  const nmDir = join(root, 'run/NetworkManager/system-connections');
  const nm = existsSync(nmDir) ? readdirSync(nmDir) : [];
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, network, nm };
}

const homelab = networkingVars.parse({
  renderer: 'netplan',
  bonds: { bond0: { interfaces: ['enp1s0', 'enp2s0'], mode: '802.3ad', lacp_rate: 'fast', hash_policy: 'layer3+4' } },
  bridges: { br0: { interfaces: ['bond0'], mac: '02:00:0a:04:00:0b', mtu: 9000, addresses: ['10.4.0.11/20'], gateway: '10.4.0.1', dns: ['10.4.0.1'], stp: false, forward_delay: 4 } },
  vlans: { 'br0.100': { addresses: ['10.100.0.11/24'] } },
});

describe.skipIf(!netplan)('Netplan rendering checked by netplan generate', () => {
  it('the bond → bridge → VLAN design generates the networkd files we expect', () => {
    const g = generate({ '60-labwright.yaml': renderNetplan(buildModel(homelab)) });
    expect(g.code, g.out).toBe(0);
    expect(g.network['10-netplan-br0.netdev']).toMatch(/Kind=bridge/);
    expect(g.network['10-netplan-br0.netdev']).toMatch(/MACAddress=02:00:0a:04:00:0b/);
    expect(g.network['10-netplan-br0.netdev']).toMatch(/STP=false/);
    expect(g.network['10-netplan-bond0.netdev']).toMatch(/Mode=802\.3ad/);
    expect(g.network['10-netplan-bond0.netdev']).toMatch(/LACPTransmitRate=fast/);
    expect(g.network['10-netplan-bond0.netdev']).toMatch(/TransmitHashPolicy=layer3\+4/);
    expect(g.network['10-netplan-bond0.netdev']).toMatch(/MIIMonitorSec=100ms/);
    expect(g.network['10-netplan-br0.100.netdev']).toMatch(/Id=100/);
    expect(g.network['10-netplan-br0.network']).toMatch(/Address=10\.4\.0\.11\/20/);
    expect(g.network['10-netplan-br0.network']).toMatch(/Gateway=10\.4\.0\.1\n/);
    expect(g.network['10-netplan-br0.network']).toMatch(/VLAN=br0\.100/);
    expect(g.network['10-netplan-enp1s0.network']).toMatch(/Bond=bond0/);
  });

  it('next to cloud-init\'s 50-cloud-init.yaml (dhcp4: true on the NIC), the bridge port runs no DHCP client, RA or link-local', () => {
    const cloudInit = 'network:\n  version: 2\n  ethernets:\n    enp1s0:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: enp1s0\n      dhcp4: true\n';
    const ours = renderNetplan(buildModel(networkingVars.parse({ renderer: 'netplan', bridges: { br0: { interfaces: ['enp1s0'], addresses: ['10.4.0.11/20'] } } })));
    const g = generate({ '50-cloud-init.yaml': cloudInit, '60-labwright.yaml': ours });
    expect(g.code, g.out).toBe(0);
    const port = g.network['10-netplan-enp1s0.network']!;
    expect(port).toMatch(/^Bridge=br0$/m);
    expect(port).not.toMatch(/^DHCP=/m);
    expect(port).not.toContain('[DHCP]');
    expect(port).toMatch(/^LinkLocalAddressing=no$/m);
    expect(port).toMatch(/^IPv6AcceptRA=no$/m);
  });

  it('Ubuntu desktop\'s global `renderer: NetworkManager` keeps every device we do not define; ours go to networkd', () => {
    const nmAll = 'network:\n  version: 2\n  renderer: NetworkManager\n';
    const other = 'network:\n  version: 2\n  ethernets:\n    eno2:\n      dhcp4: true\n';
    const ours = renderNetplan(buildModel(networkingVars.parse({ renderer: 'netplan', bridges: { br0: { interfaces: ['enp1s0'], addresses: ['10.4.0.11/20'] } } })));
    const root = generate({ '01-network-manager-all.yaml': nmAll, '50-other.yaml': other, '60-labwright.yaml': ours });
    expect(root.code, root.out).toBe(0);
    expect(Object.keys(root.network)).toEqual(expect.arrayContaining(['10-netplan-br0.netdev', '10-netplan-enp1s0.network']));
    expect(Object.keys(root.network).some((f) => f.includes('eno2'))).toBe(false);
    expect(root.nm.some((f) => f.includes('eno2'))).toBe(true);
  });

  it('NICs found by match: a name glob as a bridge port (seed 000), a MAC with set-name, a driver', () => {
    const matched = networkingVars.parse({
      renderer: 'netplan',
      interfaces: {
        uplink: { match: { name: 'en*' } },
        lan0: { match: { mac: '52:54:00:aa:bb:01' }, set_name: true, dhcp: true },
        wan: { match: { driver: 'igb*' }, dhcp: true },
      },
      bridges: { br0: { interfaces: ['uplink'], addresses: ['10.10.20.10/24'], gateway: '10.10.20.1', stp: true } },
    });
    const g = generate({ '60-labwright.yaml': renderNetplan(buildModel(matched)) });
    expect(g.code, g.out).toBe(0);
    expect(g.network['10-netplan-uplink.network']).toMatch(/\[Match\]\nName=en\*\n/);
    expect(g.network['10-netplan-uplink.network']).toMatch(/^Bridge=br0$/m);
    expect(g.network['10-netplan-lan0.network']).toMatch(/\[Match\]\nPermanentMACAddress=52:54:00:aa:bb:01\nName=lan0\n/);
    // the rename is a .link file udev applies at boot
    expect(g.network['10-netplan-lan0.link']).toMatch(/\[Match\]\nPermanentMACAddress=52:54:00:aa:bb:01\n\n\[Link\]\nName=lan0\n/);
    expect(g.network['10-netplan-wan.network']).toMatch(/\[Match\]\nDriver=igb\*\n/);
    expect(g.network['10-netplan-wan.network']).toMatch(/^DHCP=ipv4$/m);
  });

  it('the static-routes file merges into the bridge it names; a wrong device type is refused', () => {
    const routes = renderNetplanRoutes(new Map([['br0', { type: 'bridges' as const, routes: [{ to: '10.4.11.0/24', via: '10.4.0.20', metric: 100 }] }]]));
    const g = generate({ '60-labwright.yaml': renderNetplan(buildModel(homelab)), '70-labwright-routes.yaml': routes });
    expect(g.code, g.out).toBe(0);
    expect(g.network['10-netplan-br0.network']).toMatch(/\[Route\]\nDestination=10\.4\.11\.0\/24\nGateway=10\.4\.0\.20\nMetric=100/);
    expect(g.network['10-netplan-br0.network']).toMatch(/Address=10\.4\.0\.11\/20/);

    const wrong = renderNetplanRoutes(new Map([['br0', { type: 'ethernets' as const, routes: [{ to: '10.4.11.0/24', via: '10.4.0.20' }] }]]));
    const bad = generate({ '60-labwright.yaml': renderNetplan(buildModel(homelab)), '70-labwright-routes.yaml': wrong });
    expect(bad.code).not.toBe(0);
  });

  it('the validate command of the file op accepts a good candidate and refuses a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-netplan-cand-'));
    const good = join(dir, 'good');
    const broken = join(dir, 'broken');
    writeFileSync(good, renderNetplan(buildModel(homelab)));
    writeFileSync(broken, 'network:\n  version: 2\n  bridges:\n    br0:\n      parameters: { stp: maybe }\n');
    const run = (f: string) => spawnSync('sh', ['-c', `set -e\n${netplanValidateCommand(f, NETPLAN_PATH).text}\necho reached-after`], { encoding: 'utf8' });
    const ok = run(good);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('reached-after'); // the check does not end the write script early
    const no = run(broken);
    expect(no.status).not.toBe(0);
    expect(no.stdout).not.toContain('reached-after');
    execFileSync('rm', ['-rf', dir]);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { fileInfo } from '../../src/facts/builtin.js';
import { loadInventory } from '../../src/inventory/index.js';
import { sh } from '../../src/shell/quote.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { contests, manualStanzas, NM_UNMANAGED_PATH, otherManagers, parseOtherManagers, planHandover, renderNmUnmanaged, withAfter, type OtherManagers } from './handover.js';
import { networking } from './index.js';
import { buildModel } from './model.js';
import type { NetworkingVars } from './vars.js';

/** What Debian 12's installer leaves on a machine installed over DHCP. */
const DEBIAN_INTERFACES = `# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug enp1s0
iface enp1s0 inet dhcp
# This is an autoconfigured IPv6 interface
iface enp1s0 inet6 auto
`;

const FACT_OUTPUT = (nm: string) =>
  `@@iface\n/etc/network/interfaces:8:iface lo inet loopback\n/etc/network/interfaces:12:iface enp1s0 inet dhcp\n/etc/network/interfaces:14:iface enp1s0 inet6 auto\n@@up\nlo\nenp1s0\n${nm}@@ours\n`;

/** The links of seed 000's node1 (br0 on enp1s0, VLAN br0.100). */
async function debvisorLinks(): Promise<string[]> {
  const inventory = await loadInventory([join(import.meta.dirname, '../../inventory/examples/debvisor.yaml')]);
  const vars = resolveRoleVars(networking, inventory.hosts.get('node1')!, inventory) as NetworkingVars;
  return buildModel(vars).map((l) => l.name);
}

describe('other network managers on the links of debvisor node1', () => {
  it('reads ifupdown stanzas, what it brings up, and NetworkManager device states', () => {
    const m = parseOtherManagers(FACT_OUTPUT('@@nm\nenp1s0:connected\nwlan0:disconnected\nlo:unmanaged\n'));
    expect(m.ifaces.map((i) => [i.file, i.line, i.name, i.family, i.method])).toEqual([
      ['/etc/network/interfaces', 8, 'lo', 'inet', 'loopback'],
      ['/etc/network/interfaces', 12, 'enp1s0', 'inet', 'dhcp'],
      ['/etc/network/interfaces', 14, 'enp1s0', 'inet6', 'auto'],
    ]);
    expect(m.ifupdownUp).toEqual(['lo', 'enp1s0']);
    expect([...m.nm!]).toEqual([['enp1s0', 'connected'], ['wlan0', 'disconnected'], ['lo', 'unmanaged']]);
    expect(parseOtherManagers(FACT_OUTPUT('')).nm).toBeUndefined(); // NetworkManager not running
  });

  it("refuses Debian's `iface enp1s0 inet dhcp` and a NetworkManager-managed port by default, naming file, line and the ways out", async () => {
    const links = await debvisorLinks();
    const m = parseOtherManagers(FACT_OUTPUT('@@nm\nenp1s0:connected\n'));
    const ctx = new FixtureContext([[otherManagers(), m]]);
    const refusal = await planHandover(ctx, otherManagers(), links, false).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(refusal).toContain('enp1s0: ifupdown (/etc/network/interfaces:12: iface enp1s0 inet dhcp)');
    expect(refusal).toContain('enp1s0: ifupdown (/etc/network/interfaces:14: iface enp1s0 inet6 auto)');
    expect(refusal).toContain('enp1s0: NetworkManager (nmcli: connected)');
    expect(refusal).toContain('Set networking.take_over: true');
    // a stanza ifupdown does not bring up at boot, a `manual` one, and an unmanaged device are no contest
    const quiet: OtherManagers = { ifaces: [{ file: 'f', line: 1, name: 'enp1s0', family: 'inet', method: 'manual', text: '' }], ifupdownUp: ['enp1s0'], nm: new Map([['enp1s0', 'unmanaged']]), nmOurs: [] };
    expect(contests(links, quiet)).toEqual([]);
    expect(contests(links, { ...m, ifupdownUp: [], nm: undefined })).toEqual([]);
  });

  it('take_over: the stanzas become `inet manual` (old line kept in a comment), NetworkManager lists the port as unmanaged, both part of the guarded change', async () => {
    const links = await debvisorLinks();
    const m = parseOtherManagers(FACT_OUTPUT('@@nm\nenp1s0:connected\n'));
    const ctx = new FixtureContext([
      [otherManagers(), m],
      [fileInfo('/etc/network/interfaces'), { exists: true, type: 'file', content: DEBIAN_INTERFACES }],
    ]);
    const h = await planHandover(ctx, otherManagers(), links, true);
    expect(h.paths).toEqual(['/etc/network/interfaces', NM_UNMANAGED_PATH]);
    expect(manualStanzas(DEBIAN_INTERFACES, m.ifaces.filter((i) => i.name === 'enp1s0'))).toBe(`# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug enp1s0
# labwright (role networking): was "iface enp1s0 inet dhcp"; enp1s0 is managed by systemd-networkd
iface enp1s0 inet manual
# This is an autoconfigured IPv6 interface
# labwright (role networking): was "iface enp1s0 inet6 auto"; enp1s0 is managed by systemd-networkd
iface enp1s0 inet6 manual
`);
    expect(renderNmUnmanaged(['enp1s0'])).toBe('# labwright (role networking): these links are managed by systemd-networkd.\n[keyfile]\nunmanaged-devices+=interface-name:enp1s0\n');
    expect(h.live!.shown).toBe(`ifupdown lets go of enp1s0; NetworkManager follows ${NM_UNMANAGED_PATH} for enp1s0`);
    expect(spawnSync('sh', ['-n', '-c', h.live!.text]).status).toBe(0);
  });

  it('take_over refuses an interfaces file that is not UTF-8 (a Latin-1 comment) instead of writing it back with the byte replaced', async () => {
    const links = await debvisorLinks();
    const m = parseOtherManagers(FACT_OUTPUT(''));
    const latin1 = Buffer.from(DEBIAN_INTERFACES.replace('# The loopback', '# caf\u00e9: the loopback'), 'latin1');
    const ctx = new FixtureContext([
      [otherManagers(), m],
      // what the fileInfo fact reads of it: the text decoded as UTF-8 (U+FFFD for the byte), the sha256 of the real bytes
      [fileInfo('/etc/network/interfaces'), { exists: true, type: 'file', content: latin1.toString('utf8'), sha256: createHash('sha256').update(latin1).digest('hex') }],
    ]);
    await expect(planHandover(ctx, otherManagers(), links, true)).rejects.toThrow('/etc/network/interfaces is not valid UTF-8 (line 6)');
  });

  it('take_over refuses an interfaces file too large to read (> 256 KiB) instead of leaving its stanza to ifupdown silently', async () => {
    const links = await debvisorLinks();
    const m = parseOtherManagers(FACT_OUTPUT(''));
    const ctx = new FixtureContext([
      [otherManagers(), m],
      // what the fileInfo fact reads of a file over the limit: its stat and digest, no content
      [fileInfo('/etc/network/interfaces'), { exists: true, type: 'file', size: 300_000, sha256: 'f'.repeat(64) }],
    ]);
    await expect(planHandover(ctx, otherManagers(), links, true)).rejects.toThrow('/etc/network/interfaces is 300000 bytes, larger than the 256 KiB labwright reads to edit');
  });

  it('a static stanza loses its options with the method; the next stanza is untouched', () => {
    const text = 'auto eth1\niface eth1 inet static\n    address 10.0.0.2/24\n    gateway 10.0.0.1\n\nauto eth2\niface eth2 inet dhcp\n';
    const [line] = parseOtherManagers('@@iface\nf:2:iface eth1 inet static\n').ifaces;
    expect(manualStanzas(text, [line!])).toBe(
      'auto eth1\n# labwright (role networking): was "iface eth1 inet static"; eth1 is managed by systemd-networkd\niface eth1 inet manual\n#    address 10.0.0.2/24\n#    gateway 10.0.0.1\n\nauto eth2\niface eth2 inet dhcp\n',
    );
  });

  it('the live hand-over runs after the activation, whatever it returned, and keeps its exit status', () => {
    const r = spawnSync('sh', ['-c', withAfter(sh`echo activated; exit 3`, sh`echo handed-over`).text], { encoding: 'utf8' });
    expect(r.stdout).toBe('activated\nhanded-over\n');
    expect(r.status).toBe(3);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileInfo } from '../../src/facts/builtin.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { NETPLAN_WOL_PATH, netplanEthernets, netplanIdFor, netplanWol, renderNetplanWol } from './netplan.js';
import { nicWol, renderLinkFile, type NicWol } from './ops.js';

/** Ubuntu cloud image: cloud-init's definition of the NIC, matched by MAC and renamed. */
const CLOUD_INIT = 'network:\n  version: 2\n  ethernets:\n    enp1s0:\n      match:\n        macaddress: "52:54:00:12:34:56"\n      set-name: enp1s0\n      dhcp4: true\n';
const NIC: NicWol = { nic: 'enp1s0', mac: '52:54:00:12:34:56', supports: 'pumbg', current: 'd' };
const SELECT = { mac: NIC.mac };

const netplan = ['/usr/sbin/netplan', '/usr/bin/netplan'].find((p) => existsSync(p));

/** `netplan <args> --root-dir` over a scratch root holding `files` in etc/netplan. */
function netplanIn(files: Record<string, string>, args: string[]): { root: string; code: number; out: string } {
  const root = mkdtempSync(join(tmpdir(), 'lw-wol-netplan-'));
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'etc/netplan', name), content, { mode: 0o600 });
  const r = spawnSync(netplan!, [...args, '--root-dir', root], { encoding: 'utf8' });
  return { root, code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const linkFiles = (root: string) => {
  const dir = join(root, 'run/systemd/network');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
};

describe('which Netplan definition configures the NIC', () => {
  it('by MAC (cloud-init), by name glob, by ID without match; none otherwise', () => {
    expect(netplanIdFor(NIC, { enp1s0: { match: { macaddress: '52:54:00:12:34:56' }, 'set-name': 'enp1s0' } })).toBe('enp1s0');
    expect(netplanIdFor(NIC, { lan: { match: { name: 'enp*' } } })).toBe('lan');
    expect(netplanIdFor(NIC, { enp1s0: {} })).toBe('enp1s0');
    expect(netplanIdFor(NIC, { other: { match: { macaddress: '52:54:00:00:00:01' } }, eno1: {} })).toBeUndefined();
  });
});

describe.skipIf(!netplan)('Wake-on-LAN through Netplan, checked by netplan generate', () => {
  it("a cloud image's NIC: Netplan's own .link says WakeOnLan=off and wins over ours; our Netplan file makes it magic", () => {
    // the problem: 10-netplan-enp1s0.link sorts before 50-labwright-wol.link, and udev applies only the first match
    const before = netplanIn({ '50-cloud-init.yaml': CLOUD_INIT }, ['generate']);
    expect(before.code, before.out).toBe(0);
    expect(linkFiles(before.root)['10-netplan-enp1s0.link']).toMatch(/^WakeOnLan=off$/m);
    expect('10-netplan-enp1s0.link' < '50-labwright-wol.link').toBe(true);
    expect(renderLinkFile(NIC)).toMatch(/^MACAddress=52:54:00:12:34:56$/m); // ours matches the same NIC

    // the role reads the definitions as `netplan get all` prints them
    const get = netplanIn({ '50-cloud-init.yaml': CLOUD_INIT }, ['get', 'all']);
    expect(get.code, get.out).toBe(0);
    const defs = netplanEthernets().parse({ stdout: get.out, code: 0 });
    const id = netplanIdFor(NIC, defs);
    expect(id).toBe('enp1s0');

    const after = netplanIn({ '50-cloud-init.yaml': CLOUD_INIT, '70-labwright-wol.yaml': renderNetplanWol(id!, NIC.nic) }, ['generate']);
    expect(after.code, after.out).toBe(0);
    const files = linkFiles(after.root);
    expect(files['10-netplan-enp1s0.link']).toMatch(/^WakeOnLan=magic$/m);
    // merged into cloud-init's definition: nothing else about the NIC changes
    expect(files['10-netplan-enp1s0.network']).toBe(linkFiles(before.root)['10-netplan-enp1s0.network']);
  });
});

describe('the Netplan task', () => {
  let ctx: FixtureContext;
  const plan = (defs: Record<string, unknown>, exists: boolean) => {
    ctx = new FixtureContext([
      [netplanEthernets(), defs],
      [fileInfo(NETPLAN_WOL_PATH), exists ? { exists: true, type: 'file', content: 'old', owner: 'root', group: 'root', mode: '0600' } : { exists: false }],
      [nicWol(SELECT), [NIC]],
    ]);
    return ctx.planAndApply(netplanWol('h1', SELECT));
  };

  it('writes the file (0600, validated by netplan generate) when a Netplan definition covers the NIC', async () => {
    const p = await plan({ enp1s0: { match: { macaddress: NIC.mac } } }, false);
    expect(p.kind).toBe('change');
    const script = ctx!.commands.map((c) => c.cmd.text).join('\n');
    expect(script).toContain('netplan generate --root-dir');
    expect(script).toContain(NETPLAN_WOL_PATH);
    expect(renderNetplanWol('enp1s0', 'enp1s0')).toBe(
      '# Managed by labwright (role wol): magic-packet wake for enp1s0 at every boot, merged into its Netplan definition.\nnetwork:\n  version: 2\n  ethernets:\n    enp1s0:\n      wakeonlan: true\n',
    );
  });

  it('leaves the .link file to do it where Netplan does not configure the NIC, and removes a file that no longer applies', async () => {
    expect((await plan({}, false)).kind).toBe('ok');
    expect((await plan({ eno1: {} }, true)).kind).toBe('change');
    expect(ctx!.commands.map((c) => c.cmd.text).join('\n')).toContain(`rm -f -- ${NETPLAN_WOL_PATH}`);
  });
});

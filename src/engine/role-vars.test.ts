import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { writeTree, yamlLines } from '../inventory/fixtures/tree.js';

/** `--plan` of the site playbook over a tree of inventory files: exit code and stderr (tree paths relative). */
async function plan(files: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const dir = await writeTree(files);
  const io = captureIo();
  const code = await main(site, ['-i', path.join(dir, 'hosts.yaml'), '--plan'], io);
  return { code, stderr: io.stderr.replaceAll(dir + path.sep, '') };
}

const HOSTS = yamlLines(
  'all:',
  '  vars:',
  '    lan: { subnet: 10.9.0.0/24 }',
  '  children:',
  '    dhcp_servers:',
  '      hosts:',
  '        dns1:',
  '          ansible_host: 10.9.0.2',
);

describe('a misspelt role var is an inventory error naming file:line:col, key path and the key meant', () => {
  it('dnsmasq.upstreem (was silently dropped: --plan passed)', async () => {
    const { code, stderr } = await plan({ 'hosts.yaml': HOSTS + yamlLines('          dnsmasq:', '            upstreem: [1.1.1.1]') });
    expect(code).toBe(4);
    expect(stderr).toContain('host dns1: dnsmasq.upstreem: unknown key (did you mean upstream?) (set at hosts.yaml:10:13)');
    expect(stderr).not.toMatch(/unexpected|\n {4}at /);
  });

  it('networking.interfaces.eth1.addresss (was: the link silently got no address)', async () => {
    const networking = yamlLines('          networking:', '            interfaces:', '              eth1:', '                addresss: [10.9.0.2/24]');
    const { code, stderr } = await plan({ 'hosts.yaml': HOSTS + networking });
    expect(code).toBe(4);
    expect(stderr).toContain('host dns1: networking.interfaces.eth1.addresss: unknown key (did you mean addresses?) (set at hosts.yaml:12:17)');
  });

  it('a static route {to: default, vai: ...} (was: ip route replace default dev eth0)', async () => {
    const routes = yamlLines('          static_routes:', '            routes:', '              - to: default', '                vai: 10.9.0.1', '                dev: eth0');
    const { code, stderr } = await plan({ 'hosts.yaml': HOSTS + routes });
    expect(code).toBe(4);
    expect(stderr).toContain('host dns1: static_routes.routes.0.vai: unknown key (did you mean via?) (set at hosts.yaml:12:17)');
  });

  it('a shared var in group_vars/ (lan.gatway), with the known keys when nothing is close', async () => {
    const { code, stderr } = await plan({
      'hosts.yaml': HOSTS.replace('    lan: { subnet: 10.9.0.0/24 }\n', ''),
      'group_vars/all.yaml': yamlLines('lan:', '  subnet: 10.9.0.0/24', '  gatway: 10.9.0.1', '  vlan: 4'),
    });
    expect(code).toBe(4);
    expect(stderr).toContain('host dns1: lan.gatway: unknown key (did you mean gateway?) (set at group_vars/all.yaml:3:3)');
    expect(stderr).toContain('host dns1: lan.vlan: unknown key (known keys: subnet, gateway, domain, external_dhcp) (set at group_vars/all.yaml:4:3)');
  });

  it('a key merged in with a YAML anchor is found where it was written', async () => {
    const { code, stderr } = await plan({
      'hosts.yaml': yamlLines(
        'all:',
        '  vars:',
        '    lan: { subnet: 10.9.0.0/24 }',
        '    common: &common',
        '      port: 53',
        '      bnid: dynamic',
        '  children:',
        '    dhcp_servers:',
        '      hosts:',
        '        dns1:',
        '          dnsmasq: { <<: *common, upstream: [1.1.1.1] }',
      ),
    });
    expect(code).toBe(4);
    expect(stderr).toContain('host dns1: dnsmasq.bnid: unknown key (did you mean bind?) (set at hosts.yaml:6:7)');
  });

  it('a mistake in group_vars/all is told once, naming the hosts it concerns', async () => {
    const hosts = yamlLines('all:', '  hosts:', ...Array.from({ length: 7 }, (_, i) => `    h${i}: { ansible_host: 10.9.0.${i + 2} }`));
    const { code, stderr } = await plan({ 'hosts.yaml': hosts, 'group_vars/all.yaml': yamlLines('base:', '  packges: [vim]') });
    expect(code).toBe(4);
    expect(stderr).toBe(
      'ERROR: invalid vars for role base:\n' +
        '  hosts h0, h1, h2, h3, h4 and 2 more: base.packges: unknown key (did you mean packages?) (set at group_vars/all.yaml:2:3)\n',
    );
  });
});

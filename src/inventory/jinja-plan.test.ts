import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { writeTree } from './fixtures/tree.js';

/* Templates in the example inventory, through the site playbook's --plan: rendered where a role reads them, ignored elsewhere. */

const HOME = readFileSync(fileURLToPath(new URL('../../inventory/home.yaml', import.meta.url)), 'utf8');
const ENDPOINT = '      control_plane_endpoint: 192.168.50.10:6443';

async function plan(inventory: string) {
  expect(HOME).toContain(ENDPOINT);
  const dir = await writeTree({ 'inventory.yaml': inventory });
  const io = captureIo();
  const code = await main(site, ['-i', path.join(dir, 'inventory.yaml'), '--plan'], io);
  return { code, io };
}

describe('inventory templates in --plan', () => {
  it('renders a template a role reads, and never an unused one', async () => {
    const inventory = HOME.replace(
      ENDPOINT,
      [
        "      control_plane_endpoint: \"{{ hostvars[groups['vrrp'][0]].keepalived.vip }}:{{ api_port }}\"",
        '    api_port: 6443',
        "    unused_lookup: \"{{ lookup('env', 'HOME') }}\"",
        '    unused_undefined: "{{ nobody_defines_this }}"',
        '    unused_fact: "{{ ansible_default_ipv4.address }}"',
      ].join('\n'),
    );
    const { code, io } = await plan(inventory);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    expect(io.stdout).toContain('192.168.50.10:6443');
  });

  it('is exit 4 naming file:line, the key and the construct of a used template that cannot render', async () => {
    const { code, io } = await plan(HOME.replace(ENDPOINT, '      control_plane_endpoint: "{{ vip_typo }}:6443"'));
    expect(code).toBe(4);
    // One line for all hosts (the same template of group all fails on each).
    expect(io.stderr).toMatch(
      /^ERROR: hosts gw1, gw2, cp1, cp2, cp3 and 3 more: cluster\.control_plane_endpoint: cannot render "\{\{ vip_typo \}\}:6443": 'vip_typo' is undefined \(at vip_typo\) \(set at \S*inventory\.yaml:17:7\)\n$/,
    );
    expect(io.stderr).not.toMatch(/unexpected|\n\s+at /);
  });

  it('says facts are not inventory', async () => {
    const { code, io } = await plan(HOME.replace(ENDPOINT, '      control_plane_endpoint: "{{ ansible_default_ipv4.address }}:6443"'));
    expect(code).toBe(4);
    expect(io.stderr).toMatch(/cluster\.control_plane_endpoint: .*facts are not inventory/);
  });
});

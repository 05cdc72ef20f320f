import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import type { IpAddress } from '../../src/facts/builtin.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Inventory } from '../../src/inventory/types.js';
import { captureIo } from '../../test/support/io.js';
import { dnsmasq } from './index.js';
import type { DnsmasqConfig } from './vars.js';

/** Helpers of the role's unit tests (config text only: the addresses never see a packet). */

function inventoryFile(yaml: string, prefix = 'lw-dnsmasq-'): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'inventory.yaml');
  writeFileSync(file, yaml);
  return file;
}

export async function inventoryOf(yaml: string): Promise<Inventory> {
  return loadInventory([inventoryFile(yaml)]);
}

/** The role's effective config for `host` (play params over the inventory). */
export function resolve(inventory: Inventory, host: string, params: Record<string, unknown> = {}): DnsmasqConfig {
  return resolveRoleVars(dnsmasq.with(params), inventory.hosts.get(host)!, inventory) as DnsmasqConfig;
}

/** The refusal message for `host`'s vars; fails the test when they are accepted. */
export function problems(inventory: Inventory, host: string, params: Record<string, unknown> = {}): string {
  try {
    resolve(inventory, host, params);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the vars to be refused');
}

/** An `interfaces` fact entry with one IPv4 address. */
export const iface = (ifname: string, local: string, prefixlen = 24): IpAddress => ({
  ifname, mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local, prefixlen }],
});
export const LO = iface('lo', '127.0.0.1', 8);

/** `--plan` of a play running the role on the group dhcp_servers: exit code and output. */
export async function planOf(yaml: string): Promise<{ code: number; out: string }> {
  const file = inventoryFile(yaml, 'lw-dnsmasq-plan-');
  const io = captureIo();
  const code = await main([play({ name: 'dhcp', hosts: 'dhcp_servers', roles: [dnsmasq] })], ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr };
}

import { z } from 'zod';
import { deepMerge } from '../../src/engine/merge.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { parseVars } from '../../src/inventory/vars-check.js';
import { broadcast, contains } from '../../src/net/address.js';
import { ipv4CidrSchema, ipv4Schema, lanOf, macOf } from '../../src/net/lan.js';
import { magicPacket, parseSecureOn, WOL_PORT } from '../../src/net/wol.js';
import { Secret } from '../../src/secret.js';

/** The host that sends for a target when it names none: the controller, as an inventory host with `ansible_connection: local`. */
export const DEFAULT_SENDER = 'localhost';

const secureOn = z
  .union([z.instanceof(Secret), z.string()])
  .refine((v) => {
    try {
      parseSecureOn(v instanceof Secret ? v.reveal() : v);
      return true;
    } catch {
      return false;
    }
  }, 'expected a SecureOn password of 4 or 6 bytes: aa:bb:cc:dd:ee:ff, aa:bb:cc:dd or 1.2.3.4 (preferably tagged !secret)');

/**
 * The `wol` var. One schema for both sides: a target's own settings (how it
 * is woken, whether its NIC gets configured) and a sender's (`targets`,
 * `tool`), since the same host may be both.
 */
export const wolVars = z.strictObject({
  targets: z.string().min(1).optional().describe('(sender) host pattern of the hosts to wake from this host; playbooks/wake.ts sets it from --limit'),
  tool: z.enum(['auto', 'python3', 'socat']).default('auto').describe('(sender over SSH) what sends the packets: python3, else socat; the controller sends with Node itself'),
  via: z.string().min(1).default(DEFAULT_SENDER).describe('(target) inventory host that sends its packets: one on the same L2 network; default the controller (`localhost`, `ansible_connection: local`)'),
  subnet: ipv4CidrSchema.optional().describe('(target) its IPv4 subnet, for the directed broadcast. Default: `lan.subnet`'),
  broadcast: ipv4Schema.optional().describe('(target) destination address. Default: the directed broadcast of `subnet` (e.g. 10.4.15.255 for 10.4.0.0/20)'),
  port: z.number().int().min(1).max(65535).default(WOL_PORT).describe('(target) UDP port (9 by convention; 7 also used)'),
  password: secureOn.optional().describe('(target) SecureOn password appended to the packet (4 or 6 bytes), tag it !secret'),
  routed: z.boolean().default(false).describe('(target) the sender is not on its network but a router forwards directed broadcasts to it; otherwise sending from off-link is refused'),
  enable: z.boolean().default(false).describe('(target) turn magic-packet wake on for its NIC now (`ethtool -s IF wol g`) and at boot (systemd .link `WakeOnLan=magic`)'),
  interface: z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'expected an interface name such as enp3s0').optional().describe('(target) the NIC to configure. Default: the physical NIC with the host\'s `mac`'),
});

export type WolVars = z.output<typeof wolVars>;

/** Derived from the shared `lan` var: the subnet the directed broadcast is computed from. */
export function wolDefaults(host: Host): Record<string, unknown> {
  const lan = lanOf(host);
  return lan.subnet ? { subnet: lan.subnet } : {};
}

/** How to wake one target, resolved from its own vars. */
export interface WakeTarget {
  name: string;
  mac: string;
  address: string;
  port: number;
  /** Its subnet (for the on-link check); undefined when only `broadcast` was given. */
  subnet?: string;
  routed: boolean;
  password?: string | Secret;
  via: string;
  packet: Buffer;
}

/** A target's `wol` settings (its defaults < its inventory vars), checked; errors name the host. */
export function targetSettings(target: Host): WolVars {
  return parseVars(wolVars, deepMerge(wolDefaults(target), target.vars.wol ?? {}), target, 'wol');
}

/** Everything needed to wake `target`, or an error saying what to set. */
export function wakeTarget(target: Host): WakeTarget {
  const settings = targetSettings(target);
  const mac = macOf(target);
  if (!mac) throw new Error(`host ${target.name} has no \`mac\` var: its NIC's MAC address is what the magic packet carries`);
  const address = settings.broadcast ?? (settings.subnet ? broadcast(settings.subnet) : undefined);
  if (!address) {
    throw new Error(`host ${target.name}: no subnet to compute the directed broadcast from: set lan.subnet (or wol.subnet, or wol.broadcast)`);
  }
  if (settings.subnet && settings.broadcast && !contains(settings.subnet, settings.broadcast) && settings.broadcast !== '255.255.255.255') {
    throw new Error(`host ${target.name}: wol.broadcast ${settings.broadcast} is not in its subnet ${settings.subnet}`);
  }
  return {
    name: target.name,
    mac,
    address,
    port: settings.port,
    subnet: settings.subnet,
    routed: settings.routed,
    password: settings.password,
    via: settings.via,
    packet: magicPacket(mac, settings.password),
  };
}

/** The targets matching `pattern`, in inventory order; every problem at once. */
export function wakeTargets(inventory: Inventory, pattern: string): WakeTarget[] {
  const hosts = inventory.select(pattern);
  if (hosts.length === 0) throw new Error(`no inventory host matches the wake targets "${pattern}"`);
  const problems: string[] = [];
  const targets = hosts.flatMap((h) => {
    try {
      return [wakeTarget(h)];
    } catch (e) {
      problems.push((e as Error).message);
      return [];
    }
  });
  if (problems.length > 0) throw new Error(`cannot wake ${pattern}:\n  ${problems.join('\n  ')}`);
  return targets;
}

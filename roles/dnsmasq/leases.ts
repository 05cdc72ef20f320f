import { connect } from '../../src/connection/index.js';
import { defineFact } from '../../src/facts/fact.js';
import { loadInventory } from '../../src/inventory/index.js';
import type { Host } from '../../src/inventory/types.js';
import { sh } from '../../src/shell/quote.js';
import { DEFAULT_LEASE_FILE } from './vars.js';

/**
 * dnsmasq's lease database, as data: one line per lease,
 * `<expiry-epoch> <mac> <ip> <hostname|*> <client-id|*>` (expiry 0 = never);
 * after a `duid <server-duid>` line come the DHCPv6 leases, with the IAID in
 * the MAC's place.
 */
export interface Lease {
  family: 'ipv4' | 'ipv6';
  ip: string;
  /** The client's MAC (IPv4 leases). */
  mac?: string;
  /** The identity association id (IPv6 leases). */
  iaid?: string;
  hostname: string | null;
  clientId: string | null;
  /** Expiry as an ISO timestamp; null = infinite lease. */
  expires: string | null;
}

export function parseLeases(text: string): Lease[] {
  const leases: Lease[] = [];
  let family: Lease['family'] = 'ipv4';
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 0 || fields[0] === '') continue;
    if (fields[0] === 'duid') {
      family = 'ipv6';
      continue;
    }
    if (fields.length < 4 || !/^\d+$/.test(fields[0])) continue; // not a lease line: skip rather than guess
    const [expiry, id, ip, hostname, clientId] = fields;
    const epoch = Number(expiry);
    leases.push({
      family,
      ip,
      ...(family === 'ipv4' ? { mac: id.toLowerCase() } : { iaid: id }),
      hostname: hostname === '*' ? null : hostname,
      clientId: clientId === undefined || clientId === '*' ? null : clientId,
      expires: epoch === 0 ? null : new Date(epoch * 1000).toISOString(),
    });
  }
  return leases;
}

export interface LeaseFile {
  path: string;
  /** False when there is no lease file (dnsmasq never ran DHCP here). */
  present: boolean;
  leases: Lease[];
}

const ABSENT = 'labwright: no lease file';

/** The leases of a dnsmasq host (read-only). */
export const dnsmasqLeases = defineFact('dnsmasqLeases', (path: string = DEFAULT_LEASE_FILE) => ({
  command: sh`if [ -e ${path} ]; then cat ${path}; else echo ${ABSENT}; fi`,
  parse({ stdout }): LeaseFile {
    if (stdout.trim() === ABSENT) return { path, present: false, leases: [] };
    return { path, present: true, leases: parseLeases(stdout) };
  },
}));

/** The lease file a host's dnsmasq uses: its `dnsmasq.lease_file` var, else Debian's default. */
export function leaseFileOf(host: Host): string {
  const configured = (host.vars.dnsmasq as { lease_file?: unknown } | undefined)?.lease_file;
  return typeof configured === 'string' && configured.startsWith('/') ? configured : DEFAULT_LEASE_FILE;
}

export type LeaseReport = Record<string, LeaseFile | { error: string }>;

/**
 * Reads the leases of every host matching `pattern` (one command per host, in
 * parallel): `{ host: { path, present, leases: [...] } }`, or `{ error }` for a
 * host that could not be read. This is what `leases-cli.ts` prints.
 */
export async function readLeases(inventoryPaths: string[], pattern: string): Promise<LeaseReport> {
  const inventory = await loadInventory(inventoryPaths);
  const hosts = inventory.select(pattern);
  const entries = await Promise.all(
    hosts.map(async (host) => {
      const fact = dnsmasqLeases(leaseFileOf(host));
      const conn = connect(host.name, host.connection);
      try {
        const result = await conn.exec(fact.command, { become: host.connection.become, timeoutMs: 30_000 });
        if (result.code !== 0) return [host.name, { error: `exit ${result.code}: ${result.stderr.trim()}` }] as const;
        return [host.name, fact.parse(result)] as const;
      } catch (e) {
        return [host.name, { error: (e as Error).message }] as const;
      } finally {
        await conn.close().catch(() => undefined);
      }
    }),
  );
  return Object.fromEntries(entries);
}

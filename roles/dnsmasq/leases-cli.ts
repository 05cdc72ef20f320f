/**
 * Prints the DHCP leases of dnsmasq hosts as JSON:
 *
 *   npx tsx roles/dnsmasq/leases-cli.ts -i inventory.yaml -l dhcp_servers
 *
 * Output: `{ "<host>": { "path": …, "present": true, "leases": [{ family, ip,
 * mac, hostname, clientId, expires }] } }`; a host that could not be read gets
 * `{ "error": … }` and the exit code is 3.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redact } from '../../src/secret.js';
import { readLeases } from './leases.js';

const USAGE = 'usage: npx tsx roles/dnsmasq/leases-cli.ts -i INVENTORY [-i …] -l HOST_PATTERN';

export async function leasesCli(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { inventory: { type: 'string', short: 'i', multiple: true }, limit: { type: 'string', short: 'l' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    err(`ERROR: ${(e as Error).message}\n${USAGE}\n`);
    return 5;
  }
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (!values.inventory?.length || !values.limit) {
    err(`ERROR: -i INVENTORY and -l HOST_PATTERN (the dnsmasq hosts) are required\n${USAGE}\n`);
    return 5;
  }
  try {
    const report = await readLeases(values.inventory, values.limit);
    out(`${JSON.stringify(report, null, 2)}\n`);
    return Object.values(report).some((r) => 'error' in r) ? 3 : 0;
  } catch (e) {
    err(redact(`ERROR: ${(e as Error).message}\n`));
    return 4;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await leasesCli(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, play } from '../../src/index.js';
import { firewall } from '../../roles/firewall/index.js';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn } from '../support/lab-shell.js';

/**
 * A ruleset past Linux's 128 KiB limit for one command-line argument
 * (MAX_ARG_STRLEN), through the real CLI, ssh and nft on one lab host: the
 * plan's `nft -c` check reads the rules on stdin. Before, the fact put the
 * whole ruleset into the command (`sh -c '…printf … | nft -c -f -'`), which
 * sshd's shell could not even start. The rules accept ports nothing listens on,
 * from the lab gateway only.
 */
const LAB = `big-${process.pid}`;
const RULES = '/etc/nftables.d/labwright.nft';

let lab: Lab;
let h: LabHost;

function manyRules(count: number): object[] {
  return Array.from({ length: count }, (_, i) => ({
    proto: 'tcp',
    ports: [20000 + i],
    saddr: [lab.network.gateway],
    action: 'accept',
    comment: `rule ${i} of a ruleset larger than one command-line argument may be, padded to a long comment`,
  }));
}

async function run(flags: string[], rules: object[]) {
  const io = captureIo();
  const plays = [play({ name: 'firewall', hosts: 'h', roles: [firewall.with({ rollback_after_sec: 30 })] })];
  const code = await main(plays, ['-i', lab.inventoryPath, '-e', JSON.stringify({ firewall: { custom_rules: rules } }), ...flags], io);
  return { code, out: io.stdout + io.stderr };
}

describe('a ruleset over 128 KiB on a lab host', () => {
  beforeAll(async () => {
    lab = await startLab({ name: LAB, hosts: [{ name: 'h', groups: ['outsiders'] }] });
    h = lab.host('h');
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('is checked with nft -c in --check and applied; the rules file holds all of it', async () => {
    const rules = manyRules(1400);
    const check = await run(['--check'], rules);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain(`create ${RULES}`);
    const applied = await run([], rules);
    expect(applied.code, applied.out).toBe(0);
    const size = Number(await shOn(h, `stat -c %s ${RULES}`));
    expect(size).toBeGreaterThan(128 * 1024);
    expect((await shOn(h, 'nft list table inet labwright | grep -c "rule 1399 of a ruleset"')).trim()).toBe('1');
  });
});

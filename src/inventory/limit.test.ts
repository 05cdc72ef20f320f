import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runLabwright } from '../cli/labwright.js';
import { main } from '../cli/main.js';
import { defineRole, play } from '../engine/definitions.js';
import { captureIo } from '../../test/support/io.js';

/**
 * `--limit @FILE` through the commands a user types (the playbook's
 * --list-hosts and `labwright inventory`), and its mistakes. That the
 * selection equals ansible-core's is shown in ansible-corpus.test.ts.
 */
let dir: string;
let inventory: string;
const noop = defineRole({ name: 'noop', vars: z.object({}), tasks: () => [] });
const plays = [play({ name: 'site', hosts: 'all', roles: [noop] })];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-limit-'));
  inventory = join(dir, 'hosts.yaml');
  writeFileSync(inventory, 'all:\n  children:\n    gateways: { hosts: { gw1: {}, gw2: {} } }\n    workers: { hosts: { w1: {}, w2: {}, w3: {} } }\n');
});

async function playbook(...args: string[]) {
  const io = captureIo();
  const code = await main(plays, ['-i', inventory, ...args], io);
  return { code, out: io.text() };
}

describe('--limit @FILE', () => {
  it('lists the hosts of a retry file, in the play order, with other parts of the limit', async () => {
    const retry = join(dir, 'site.retry');
    writeFileSync(retry, 'w3\n\ngw1\r\n  w1  \n');
    const listed = await playbook('--list-hosts', '--limit', `@${retry}`);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/: 3 host\(s\)\s+gw1\s+w1\s+w3\s*$/);
    const excluded = await playbook('--list-hosts', '--limit', `@${retry}:!workers`);
    expect(excluded.out).toMatch(/: 1 host\(s\)\s+gw1\s*$/);

    const io = captureIo();
    expect(await runLabwright(['inventory', '-i', inventory, '--graph', '--limit', `@${retry},gw2`], io)).toBe(0);
    expect(io.stdout.match(/\b(gw|w)\d\b/g)).toEqual(['gw1', 'gw2', 'w1', 'w3']);
  });

  it('a missing file, a directory or a file listing nothing is an options error (exit 5) naming it', async () => {
    mkdirSync(join(dir, 'a-dir'));
    writeFileSync(join(dir, 'blank.retry'), '\n  \n');
    for (const [file, says] of [
      ['missing.retry', 'cannot read: file not found'],
      ['a-dir', 'cannot read: is a directory, expected a file'],
    ]) {
      const { code, out } = await playbook('--list-hosts', '--limit', `@${join(dir, file)}`);
      expect({ code, out }).toMatchObject({ code: 5, out: expect.stringContaining(`-l/--limit @${join(dir, file)}: ${join(dir, file)}: ${says}`) });
    }
    const blank = await playbook('--list-hosts', '--limit', `@${join(dir, 'blank.retry')}`);
    expect({ code: blank.code, out: blank.out }).toMatchObject({ code: 5, out: expect.stringContaining('the limit file lists no host') });
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { pathExists } from '../facts/builtin.js';
import type { Host } from '../inventory/types.js';
import { change, ok, type Op } from '../ops/op.js';
import { sh } from '../shell/quote.js';
import { defineRole, play } from './definitions.js';
import { captureIo } from '../../test/support/io.js';

/**
 * `OpContext.delegate`: an op on one host reads facts of, and runs commands
 * on, another inventory host through the run's connection to it, also when
 * that host is not in the play (--limit). Local hosts: real commands, no SSH.
 */
let dir: string;
let inventory: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-delegate-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `all:
  vars:
    ansible_connection: local
    workdir: ${dir}
  hosts:
    source: { labwright_state_dir: ${dir}/state-source }
    node1: { labwright_state_dir: ${dir}/state-node1 }
    node2: { labwright_state_dir: ${dir}/state-node2 }
`,
  );
  writeFileSync(join(dir, 'ticket'), 'ticket-42\n');
});

/** Takes a "ticket" made on `source` (read there in apply) and writes it into the node's own file. */
function fetchTicket(dir: string, source: Host): Op {
  const mine = pathExists(join(dir, 'got-ticket'));
  return {
    label: 'ticket from source',
    facts: [mine],
    async plan(ctx) {
      const from = await ctx.delegate!(source);
      const there = await from.fact(pathExists(join(dir, 'ticket')));
      return change({ summary: `take a ticket from ${from.host.name} (${there ? 'it has one' : 'none yet'}) for ${ctx.host.name}` }, async (c) => {
        const src = await c.delegate!(source);
        const { stdout } = await src.run(sh`cat ${join(dir, 'ticket')}; echo ${`asked by ${c.host.name}`} >> ${join(dir, 'asked')}`);
        await c.run(sh`printf '%s\n' ${`${c.host.name} ${stdout.trim()}`} >> ${join(dir, 'got-ticket')}`);
      });
    },
  };
}

const role = defineRole({
  name: 'ticket',
  vars: z.object({}),
  tasks: ({ task }) => [task('take a ticket', ({ host, inventory }) => (host.name === 'source' ? ({ label: 'noop', facts: [], plan: async () => ok('source') }) : fetchTicket(String(host.vars.workdir), inventory.hosts.get('source')!)))],
});

describe('delegation to another host', () => {
  it('reads facts there in check mode and runs commands there when applying', async () => {
    const check = captureIo();
    expect(await main([play({ name: 't', hosts: 'all', roles: [role] })], ['-i', inventory, '--check'], check)).toBe(0);
    expect(check.stdout).toContain('would change: [node1]\n    - take a ticket from source (it has one) for node1');

    const io = captureIo();
    expect(await main([play({ name: 't', hosts: 'all', roles: [role] })], ['-i', inventory], io)).toBe(0);
    expect(readFileSync(join(dir, 'got-ticket'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['node1 ticket-42', 'node2 ticket-42']);
    expect(readFileSync(join(dir, 'asked'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['asked by node1', 'asked by node2']);
  });

  it('reaches a host the play does not include (--limit), without a recap line for it', async () => {
    const io = captureIo();
    expect(await main([play({ name: 't', hosts: 'all', roles: [role] })], ['-i', inventory, '--limit', 'node2'], io)).toBe(0);
    expect(readFileSync(join(dir, 'got-ticket'), 'utf8')).toBe('node2 ticket-42\n');
    expect(io.stdout).toMatch(/node2\s+: ok=0\s+changed=1/);
    expect(io.stdout).not.toMatch(/source\s+: ok=/);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { command, file } from '../ops/index.js';
import { sh } from '../shell/quote.js';
import { defineRole, play } from './definitions.js';
import { captureIo } from '../../test/support/io.js';

/** flushHandlers() in a linear play: the handlers run once for the batch, before the next task, on local hosts. */
describe('flushHandlers (linear)', () => {
  it('runs each notified handler on every host that needs it, under one banner, before the next task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-flush-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `all:
  vars: { ansible_connection: local, workdir: ${dir} }
  hosts:
    local1: { labwright_state_dir: ${dir}/s1 }
    local2: { labwright_state_dir: ${dir}/s2 }
`,
    );
    const log = join(dir, 'log');
    const role = defineRole({
      name: 'r',
      vars: z.object({}),
      tasks: ({ task, flushHandlers }) => [
        task('config', ({ host }) => file({ path: join(dir, `${host.name}.conf`), content: 'x\n' }), { notify: ['restart'] }),
        flushHandlers(),
        task('after', ({ host }) => command({ run: sh`echo ${`after ${host.name}`} >> ${log}` })),
      ],
      handlers: ({ handler }) => [handler('restart', ({ host }) => command({ run: sh`echo ${`restart ${host.name}`} >> ${log}` }))],
    });
    const io = captureIo();
    expect(await main([play({ name: 'p', hosts: 'all', roles: [role] })], ['-i', inventory], io)).toBe(0);
    expect(io.text().split('RUNNING HANDLER [r : restart]')).toHaveLength(2);
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(lines.slice(0, 2).sort()).toEqual(['restart local1', 'restart local2']);
    expect(lines.slice(2).sort()).toEqual(['after local1', 'after local2']);
  });
});

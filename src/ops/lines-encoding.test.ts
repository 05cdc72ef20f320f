import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../cli/main.js';
import { defineRole, play } from '../engine/definitions.js';
import type { Op } from './op.js';
import { blockInFile, lineInFile, linesInFile } from './lines.js';
import { swapOff } from './swap.js';
import { captureIo } from '../../test/support/io.js';

/**
 * Line edits of real files on the controller (ansible_connection: local):
 * a file that is not valid UTF-8 (here a Latin-1 "é", byte 0xE9, in a comment
 * the edit does not touch) is refused with a clear error and left byte for
 * byte as it was. The old code decoded it lossily and wrote U+FFFD back.
 */
let dir: string;
let inventory: string;
const LATIN1 = Buffer.from('# r\xe9seau de test\n', 'latin1');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-lines-encoding-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, `all:\n  hosts:\n    local1: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n`);
});

/** Runs one task with `op` on local1; resolves with the exit code and output. */
async function runOp(build: () => Op): Promise<{ code: number; out: string }> {
  const role = defineRole({ name: 'edit', vars: z.object({}), tasks: ({ task }) => [task('edit the file', build)] });
  const io = captureIo();
  const code = await main([play({ name: 'edit', hosts: 'all', roles: [role] })], ['-i', inventory], io);
  return { code, out: io.text() };
}

describe('line edits of a file that is not valid UTF-8', () => {
  const cases: [string, (path: string) => Op, Buffer][] = [
    ['lineInFile', (path) => lineInFile({ path, line: 'nameserver 127.0.0.1' }), Buffer.from('search lab\n')],
    ['lineInFile absent', (path) => lineInFile({ path, line: 'search lab', state: 'absent' }), Buffer.from('search lab\n')],
    ['linesInFile (sysctl.d, modules-load.d)', (path) => linesInFile({ path, lines: [{ line: 'net.ipv4.ip_forward = 1', regexp: /^net\.ipv4\.ip_forward\s*=/ }] }), Buffer.from('net.ipv4.ip_forward = 0\n')],
    ['blockInFile', (path) => blockInFile({ path, block: 'managed' }), Buffer.from('kept\n')],
    ['swapOff (fstab)', (path) => swapOff({ fstab: path }), Buffer.from('/swap.img none swap sw 0 0\n')],
  ];

  it.each(cases)('%s: refused, naming the file and line; the file keeps every byte', async (_, build, rest) => {
    const path = join(dir, 'edited.conf');
    const before = Buffer.concat([Buffer.from('# first line\n'), LATIN1, rest]);
    writeFileSync(path, before);
    const { code, out } = await runOp(() => build(path));
    expect(code).toBe(2);
    expect(out).toContain(`${path} is not valid UTF-8 (line 2)`);
    expect(readFileSync(path)).toEqual(before);
  });

  it('a valid UTF-8 file with non-ASCII text is still edited', async () => {
    const path = join(dir, 'utf8.conf');
    writeFileSync(path, '# réseau ✓\n');
    const { code } = await runOp(() => lineInFile({ path, line: 'nameserver 127.0.0.1' }));
    expect(code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('# réseau ✓\nnameserver 127.0.0.1\n');
  });
});

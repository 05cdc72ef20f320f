import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../cli/main.js';
import { defineRole, play } from '../engine/definitions.js';
import { MAX_DIFF_BYTES } from '../facts/builtin.js';
import { absent, file } from './file.js';
import type { Op } from './op.js';
import { blockInFile, lineInFile } from './lines.js';
import { captureIo } from '../../test/support/io.js';

/**
 * Files larger than what the fileInfo fact reads (MAX_DIFF_BYTES) on the
 * controller (ansible_connection: local). The fact used to give such a file
 * the content "" instead of none: a line edit then failed as "not valid
 * UTF-8 (line 1)" and file()'s --diff showed the whole new file as added to an
 * empty one. Now a line edit is refused at plan time (so --check fails too)
 * with the file's size, and the diff says the old content is not shown.
 */
let dir: string;
let inventory: string;
const line = (n: number) => `# filler line ${String(n).padStart(8, '0')} of a large file\n`; // 40 bytes
const text = (bytes: number) => Array.from({ length: bytes / 40 }, (_, n) => line(n)).join('');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-large-file-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, `all:\n  hosts:\n    local1: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n`);
});

/** Runs one task with `op` on local1; resolves with the exit code and output. */
async function runOp(build: () => Op, ...flags: string[]): Promise<{ code: number; out: string }> {
  const role = defineRole({ name: 'edit', vars: z.object({}), tasks: ({ task }) => [task('edit the file', build)] });
  const io = captureIo();
  const code = await main([play({ name: 'edit', hosts: 'all', roles: [role] })], ['-i', inventory, ...flags], io);
  return { code, out: io.text() };
}

describe(`a file larger than ${MAX_DIFF_BYTES} bytes`, () => {
  const edits: [string, (path: string) => Op][] = [
    ['lineInFile', (path) => lineInFile({ path, line: 'nameserver 127.0.0.1' })],
    ['blockInFile', (path) => blockInFile({ path, block: 'managed' })],
  ];
  const big = text(MAX_DIFF_BYTES + 40 * 1000);

  it.each(edits)('%s: refused with its size, in --check and in an apply; the file keeps every byte', async (_, build) => {
    const path = join(dir, 'big.conf');
    writeFileSync(path, big);
    for (const flags of [['--check'], []]) {
      const { code, out } = await runOp(() => build(path), ...flags);
      expect({ flags, code }).toEqual({ flags, code: 2 });
      expect(out).toContain(`${path} is ${big.length} bytes, larger than the 256 KiB labwright reads to edit`);
      expect(out).not.toContain('not valid UTF-8');
      expect(readFileSync(path, 'utf8')).toBe(big);
    }
  });

  it('a file of exactly the limit is still edited, every line kept', async () => {
    const path = join(dir, 'limit.conf');
    const limit = text(MAX_DIFF_BYTES - (MAX_DIFF_BYTES % 40));
    writeFileSync(path, limit + 'x'.repeat(MAX_DIFF_BYTES % 40 - 1) + '\n');
    const { code } = await runOp(() => lineInFile({ path, line: 'nameserver 127.0.0.1' }));
    expect(code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`${limit}${'x'.repeat(MAX_DIFF_BYTES % 40 - 1)}\nnameserver 127.0.0.1\n`);
  });

  it('file() replacing it: --check --diff says the old content is not shown instead of diffing against nothing', async () => {
    const path = join(dir, 'big.conf');
    writeFileSync(path, big);
    const { code, out } = await runOp(() => file({ path, content: 'small now\n' }), '--check', '--diff');
    expect(code).toBe(0);
    expect(out).toContain('-(not shown: file too large)');
    expect(out).toContain('+small now');
    expect(readFileSync(path, 'utf8')).toBe(big);
  });
});

describe(`absent() of a file larger than ${MAX_DIFF_BYTES} bytes`, () => {
  it('--check --diff says its content is not shown instead of showing an empty file removed', async () => {
    const path = join(dir, 'big.conf');
    const big = text(MAX_DIFF_BYTES + 40 * 1000);
    writeFileSync(path, big);
    const { code, out } = await runOp(() => absent({ path }), '--check', '--diff');
    expect(code).toBe(0);
    expect(out).toContain('-(not shown: file too large)');
    expect(readFileSync(path, 'utf8')).toBe(big);
  });
});

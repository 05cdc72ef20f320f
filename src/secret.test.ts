import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli/main.js';
import { redact, secret, SecretTooShortError } from './secret.js';
import { captureIo } from '../test/support/io.js';

function inventory(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-secret-'));
  writeFileSync(join(dir, 'inventory.yaml'), text);
  return join(dir, 'inventory.yaml');
}

describe('short secrets', () => {
  it('refuses secrets of 1 to 3 characters: masking them would be an oracle (every "a" of the output masked)', () => {
    for (const short of ['a', 'ab', 'abc']) {
      expect(() => secret(short)).toThrow(SecretTooShortError);
      expect(() => secret(short)).toThrow(/at least 4 characters/);
    }
    expect(new SecretTooShortError(2).exitCode).toBe(4);
    // never registered for masking: the output keeps its letters
    expect(redact('a cab')).toBe('a cab');
    expect(secret('abcd').reveal()).toBe('abcd');
  });

  it('a short ansible_password in an inventory is an inventory error (exit 4), not an unexpected crash', async () => {
    const io = captureIo();
    const code = await main([], ['-i', inventory('all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_password: xy\n'), '--list-hosts'], io);
    expect(code).toBe(4);
    expect(io.stderr).toMatch(/^ERROR: .*at least 4 characters/);
    expect(io.stderr).not.toContain('unexpected');
  });

  it('a short !secret in an inventory is refused with exit 4, naming the file, line, column and var', async () => {
    const path = inventory('all:\n  hosts:\n    h1:\n      ansible_connection: local\n      db_pass: !secret ab\n');
    const io = captureIo();
    const code = await main([], ['-i', path, '--list-hosts'], io);
    expect(code).toBe(4);
    expect(io.stderr).toContain(`${path}:5:16: all.hosts.h1.db_pass: a secret of 2 character(s) is refused: secrets must have at least 4 characters`);
    expect(io.stdout).not.toContain('h1');
  });
});

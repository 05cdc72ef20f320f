import { describe, expect, it } from 'vitest';
import { LabHostNotReady, waitUntilReady } from './wait.js';

describe('waiting for a lab host', () => {
  it('a booted host whose sshd never answers fails with what the host says', async () => {
    // 127.0.0.1:22 has no listener here: the banner never comes
    const host = {
      name: 'h1',
      ip: '127.0.0.1',
      exec: async (cmd: string[]) => ({ output: cmd.includes('is-system-running') ? 'running\n' : 'failed\nssh.service: Failed\n', exitCode: 0 }),
    };
    const err = await waitUntilReady(host, 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabHostNotReady);
    expect((err as Error).message).toMatch(/^h1: sshd does not answer on 127\.0\.0\.1:22 .*the host says:\nfailed\nssh\.service: Failed/s);
  });
});

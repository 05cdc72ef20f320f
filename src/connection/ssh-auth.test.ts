import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCredentials } from './ssh-auth.js';
import { generateKey } from './test-sshd.js';

describe('credentials offered (ssh_config IdentityFile / IdentitiesOnly)', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'labwright-home-'));
    vi.stubEnv('HOME', home);
    await mkdir(join(home, '.ssh'));
    await generateKey(join(home, '.ssh', 'id_ed25519'));
    await generateKey(join(home, 'listed'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(home, { recursive: true, force: true });
  });

  it('offers the usual key files and the agent when no key file is named', async () => {
    expect((await loadCredentials({}, 'ops', '/run/agent.sock')).offered).toBe(`key ${join(home, '.ssh', 'id_ed25519')}, ssh-agent`);
  });

  it('offers the listed key files that exist instead of the usual ones (a missing one is skipped, as ssh does)', async () => {
    const offered = (await loadCredentials({ identityFiles: [join(home, 'missing'), join(home, 'listed')] }, 'ops', '/run/agent.sock')).offered;
    expect(offered).toBe(`key ${join(home, 'listed')}, ssh-agent`);
  });

  it('IdentitiesOnly: never the agent', async () => {
    const credentials = await loadCredentials({ identityFiles: [join(home, 'listed')], identitiesOnly: true }, 'ops', '/run/agent.sock');
    expect(credentials.offered).toBe(`key ${join(home, 'listed')}`);
    expect(credentials.methods.map((m) => m.type)).toEqual(['publickey']);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreachableError } from '../errors.js';
import { secret } from '../secret.js';
import { sh } from '../shell/quote.js';
import { SshConnection } from './ssh.js';
import { freePort, generateKey, sshSpec, startSshd, useSshd } from './test-sshd.js';
import { createTestUser } from './test-users.js';

describe('SshConnection opening (real sshd on loopback)', () => {
  const server = useSshd({ passwordAuthentication: true });
  let home: string;

  // No key, agent or known_hosts of the machine running the tests may take part.
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'labwright-home-'));
    vi.stubEnv('HOME', home);
    vi.stubEnv('SSH_AUTH_SOCK', undefined);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(home, { recursive: true, force: true });
  });

  describe('host keys', () => {
    it('refuses a host whose key changed', async () => {
      const knownHostsFile = join(home, 'known_hosts');
      const otherKey = join(home, 'other');
      await generateKey(otherKey);
      const otherBlob = (await readFile(`${otherKey}.pub`, 'utf8')).split(' ')[1];
      await writeFile(knownHostsFile, `[127.0.0.1]:${server.sshd.port} ssh-ed25519 ${otherBlob}\n`);
      for (const hostKeyChecking of ['strict', 'accept-new'] as const) {
        const opening = server.connect({ knownHostsFile, hostKeyChecking }).open();
        await expect(opening).rejects.toThrow(UnreachableError);
        await expect(opening).rejects.toThrow(/unreachable: host key mismatch: REMOTE HOST IDENTIFICATION HAS CHANGED/);
      }
      expect(await readFile(knownHostsFile, 'utf8')).toBe(`[127.0.0.1]:${server.sshd.port} ssh-ed25519 ${otherBlob}\n`);
    });

    it('strict: refuses an unknown host and says how to record its key', async () => {
      const knownHostsFile = join(home, 'known_hosts');
      const opening = server.connect({ knownHostsFile }).open();
      await expect(opening).rejects.toThrow(`ssh-keyscan -p ${server.sshd.port} 127.0.0.1 >> ${knownHostsFile}`);
      await expect(opening).rejects.toThrow('host_key_checking: accept-new');
    });

    it('accept-new: connects to an unknown host and records its key, in ~/.ssh/known_hosts by default', async () => {
      const lab1 = server.connect({ knownHostsFile: undefined, hostKeyChecking: 'accept-new' });
      expect((await lab1.exec(sh`echo ok`)).stdout).toBe('ok\n');
      expect(await readFile(join(home, '.ssh', 'known_hosts'), 'utf8')).toBe(`${server.sshd.knownHostsLines[0]}\n`);
      // Known from now on, also under the strict policy.
      expect((await server.connect({ knownHostsFile: undefined }).exec(sh`echo ok`)).stdout).toBe('ok\n');
    });
  });

  describe('host key algorithms', () => {
    it('asks a server with several host keys for the one on file', async () => {
      const sshd = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa', 'rsa'] });
      try {
        for (const line of sshd.knownHostsLines.slice(1)) {
          const knownHostsFile = join(home, 'known_hosts');
          await writeFile(knownHostsFile, `${line}\n`);
          // Without a preference ssh2 would pick ed25519 and see a "changed" key.
          const lab1 = new SshConnection('lab1', sshSpec(sshd, { user: server.user, knownHostsFile }));
          try {
            expect((await lab1.exec(sh`echo ok`)).stdout).toBe('ok\n');
          } finally {
            await lab1.close();
          }
        }
      } finally {
        await sshd.stop();
      }
    });
  });

  describe('failures', () => {
    it('reports a closed port as connection refused, at once', async () => {
      const port = await freePort();
      const started = Date.now();
      const opening = server.connect({ port }).open();
      await expect(opening).rejects.toThrow(UnreachableError);
      await expect(opening).rejects.toThrow(`lab1: unreachable: connection refused (nothing listens on 127.0.0.1:${port})`);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('gives up on a server that never answers after connectTimeoutMs', async () => {
      const silent = createServer();
      const sockets: Socket[] = [];
      silent.on('connection', (socket) => sockets.push(socket));
      silent.listen(0, '127.0.0.1');
      await once(silent, 'listening');
      try {
        const { port } = silent.address() as { port: number };
        const started = Date.now();
        const opening = server.connect({ port, connectTimeoutMs: 500 }).open();
        await expect(opening).rejects.toThrow(/^lab1: unreachable: timed out after 0.5s/);
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        sockets.forEach((s) => s.destroy());
        silent.close();
      }
    });

    it('reports rejected credentials as authentication failed', async () => {
      const wrongKey = join(home, 'wrong');
      await generateKey(wrongKey);
      const opening = server.connect({ privateKeyFile: wrongKey }).open();
      await expect(opening).rejects.toThrow(`lab1: unreachable: authentication failed for user ${server.user} (offered key ${wrongKey})`);
    });

    it('says why a named private key file cannot be used', async () => {
      const missing = join(home, 'missing');
      await expect(server.connect({ privateKeyFile: missing }).open()).rejects.toThrow(
        `lab1: unreachable: cannot read private key file ${missing}: ENOENT`,
      );
    });
  });

  describe('credentials', () => {
    it('tries ~/.ssh/id_ed25519 when no key file is named', async () => {
      await mkdir(join(home, '.ssh'));
      await copyFile(server.sshd.clientKeyFile, join(home, '.ssh', 'id_ed25519'));
      expect((await server.connect({ privateKeyFile: undefined }).exec(sh`whoami`)).stdout).toBe(`${server.user}\n`);
    });

    it('uses the ssh agent at SSH_AUTH_SOCK', async () => {
      const socket = join(home, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
      try {
        await waitFor(() => stat(socket).then(() => true, () => false));
        const add = spawn('ssh-add', ['-q', server.sshd.clientKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
        expect((await once(add, 'exit'))[0]).toBe(0);
        vi.stubEnv('SSH_AUTH_SOCK', socket);
        expect((await server.connect({ privateKeyFile: undefined }).exec(sh`whoami`)).stdout).toBe(`${server.user}\n`);
      } finally {
        agent.kill();
      }
    });

    it('logs in with a password', async () => {
      const user = await createTestUser({ sudo: false, password: 'correct horse' });
      try {
        const spec = { user: user.name, privateKeyFile: undefined };
        const lab1 = server.connect({ ...spec, password: secret('correct horse') });
        expect((await lab1.exec(sh`whoami`)).stdout).toBe(`${user.name}\n`);
        await lab1.close();
        const opening = new SshConnection('lab1', sshSpec(server.sshd, { ...spec, password: secret('wrong') })).open();
        await expect(opening).rejects.toThrow(`authentication failed for user ${user.name} (offered password)`);
      } finally {
        await user.remove();
      }
    });
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

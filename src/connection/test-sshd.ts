/**
 * Test helper: a real OpenSSH server on 127.0.0.1 and a free port, with its own
 * host key, client key and authorized_keys in a temp dir. Needs root and the
 * Debian packages openssh-server and openssh-client.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SshConnection } from './ssh.js';
import { createTestUser, type TestUser } from './test-users.js';
import type { ConnectionSpec } from './types.js';

const run = promisify(execFile);

export interface TestSshd {
  readonly port: number;
  readonly dir: string;
  /** Private key whose public half is authorized for every user. */
  readonly clientKeyFile: string;
  /** known_hosts lines for its host keys (in `hostKeyTypes` order), as `ssh-keyscan -p PORT 127.0.0.1` prints them. */
  readonly knownHostsLines: readonly string[];
  /** A known_hosts file holding the first of those lines. */
  readonly knownHostsFile: string;
  /** sshd's log (`-e`: everything it logs goes to stderr). */
  log(): string;
  /** Successful logins so far: one per TCP connection ("Accepted publickey for …", "Accepted password for …"). */
  acceptedLogins(): number;
  /**
   * SIGSTOP every process the server started for its connections (not the
   * listener): open connections stay up but nothing answers on them, as with a
   * wedged sshd. `kill()` and `stop()` end them all the same.
   */
  freeze(): Promise<void>;
  /** SIGKILL the server and every process it started: open connections drop. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface TestSshdOptions {
  passwordAuthentication?: boolean;
  /** Host keys the server offers (default: ed25519 only). */
  hostKeyTypes?: KeyType[];
}

export async function startSshd(options: TestSshdOptions = {}): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'labwright-sshd-'));
  // Users other than root read authorized_keys from here.
  await chmod(dir, 0o755);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir
  const hostKeyFiles = (options.hostKeyTypes ?? ['ed25519']).map((type) => ({ type, file: join(dir, `host_${type}_key`) }));
  const clientKeyFile = join(dir, 'client_ed25519_key');
  await Promise.all([...hostKeyFiles.map(({ type, file }) => generateKey(file, type)), generateKey(clientKeyFile)]);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKeyFile}.pub`), { mode: 0o644 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeyFiles.map(({ file }) => `HostKey ${file}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      `PasswordAuthentication ${options.passwordAuthentication ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'MaxSessions 10',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  const server = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await waitForLog(server, () => log, `Server listening on 127.0.0.1 port ${port}`);
  } catch (err) {
    server.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const knownHostsLines = await Promise.all(
    hostKeyFiles.map(async ({ file }) => {
      const [type, blob] = (await readFile(`${file}.pub`, 'utf8')).split(' ');
      return `[127.0.0.1]:${port} ${type} ${blob}`;
    }),
  );
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `${knownHostsLines[0]}\n`);

  const kill = async () => {
    for (const pid of await descendantsOf(server.pid!)) signal(pid, 'SIGKILL');
    if (server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    }
  };
  return {
    port,
    dir,
    clientKeyFile,
    knownHostsLines,
    knownHostsFile,
    log: () => log,
    freeze: async () => {
      for (const pid of await descendantsOf(server.pid!)) signal(pid, 'SIGSTOP');
    },
    acceptedLogins: () => log.split('\n').filter((line) => line.includes('Accepted ')).length,
    kill,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers vitest hooks: one sshd for the whole file, a throwaway login user
 * with passwordless sudo (so that the tests do not depend on root's shell
 * startup files), and connections made through `connect()` closed after each test.
 */
export function useSshd(options: TestSshdOptions & { loginShell?: string } = {}) {
  let server: TestSshd | undefined;
  let login: TestUser | undefined;
  const connections: SshConnection[] = [];
  beforeAll(async () => {
    [server, login] = await Promise.all([startSshd(options), createTestUser({ sudo: true, shell: options.loginShell })]);
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.stop();
    await login?.remove();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the sshd fixture is not ready yet (use it inside tests)');
    return value;
  };
  const fixture = {
    get sshd(): TestSshd {
      return started(server);
    },
    /** The login user, who may sudo without a password. */
    get user(): string {
      return started(login).name;
    },
    connect(overrides: Partial<ConnectionSpec> = {}): SshConnection {
      const connection = new SshConnection('lab1', sshSpec(fixture.sshd, { user: fixture.user, ...overrides }));
      connections.push(connection);
      return connection;
    },
  };
  return fixture;
}

/** A spec that logs in to `sshd` (as root with its client key, unless overridden). */
export function sshSpec(sshd: TestSshd, overrides: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    kind: 'ssh',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyFile: sshd.clientKeyFile,
    become: false,
    hostKeyChecking: 'strict',
    knownHostsFile: sshd.knownHostsFile,
    connectTimeoutMs: 5_000,
    ...overrides,
  };
}

export async function generateKey(file: string, type: KeyType = 'ed25519'): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'labwright-test', '-f', file]);
}

/** A loopback port nothing listens on (right now). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

async function waitForLog(server: ChildProcess, log: () => string, line: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!log().includes(line)) {
    if (server.exitCode !== null) throw new Error(`sshd exited with ${server.exitCode}:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`sshd did not start within 10s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** sshd forks one process tree per connection (which calls setsid): find them through /proc. */
async function descendantsOf(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(name), ppid);
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Exited in the meantime.
  }
}

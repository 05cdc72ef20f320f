import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreachableError } from '../errors.js';
import { sh } from '../shell/quote.js';
import { bastions, SshConnection } from './ssh.js';
import { freePort, sshSpec, startSshd, type TestSshd } from './test-sshd.js';
import type { ConnectionSpec } from './types.js';

/**
 * Jump hosts over ssh2 with two real sshds on loopback: the host is reached
 * through a direct-tcpip channel (ssh -W) of the bastion's connection.
 */
describe('jump hosts (ProxyJump through ssh2)', () => {
  let bastion: TestSshd;
  let target: TestSshd;
  let home: string;
  const opened: SshConnection[] = [];

  beforeAll(async () => {
    [bastion, target] = await Promise.all([startSshd(), startSshd()]);
  });
  afterAll(async () => {
    await Promise.all([bastion?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'labwright-home-'));
    vi.stubEnv('HOME', home);
    vi.stubEnv('SSH_AUTH_SOCK', undefined);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    vi.unstubAllEnvs();
    await rm(home, { recursive: true, force: true });
  });

  const gw1 = (overrides: Partial<ConnectionSpec> = {}) => ({ name: 'gw1', spec: sshSpec(bastion, overrides) });
  const behind = (name: string, spec: Partial<ConnectionSpec>) => {
    const connection = new SshConnection(name, sshSpec(target, { via: [gw1()], ...spec }));
    opened.push(connection);
    return connection;
  };

  it('runs commands on hosts behind the bastion, all through one shared connection to it, closed with the last host', async () => {
    const loginsBefore = bastion.acceptedLogins();
    const [m1, m2] = [behind('m1', {}), behind('m2', {})];
    const results = await Promise.all([m1.exec(sh`echo one`), m2.exec(sh`echo two`)]);
    expect(results.map((r) => r.stdout)).toEqual(['one\n', 'two\n']);
    expect(bastion.acceptedLogins() - loginsBefore).toBe(1);
    expect(bastions.size).toBe(1);
    await m1.close();
    expect(bastions.size).toBe(1);
    expect((await m2.exec(sh`echo still`)).stdout).toBe('still\n');
    await m2.close();
    expect(bastions.size).toBe(0);
  });

  it("verifies the bastion's host key like any host's: an unknown one stops the host, naming the hop", async () => {
    const knownHostsFile = join(home, 'known_hosts_without_gw1');
    await writeFile(knownHostsFile, target.knownHostsLines.join('\n') + '\n');
    const m1 = new SshConnection('m1', sshSpec(target, { via: [gw1({ knownHostsFile })] }));
    opened.push(m1);
    const opening = m1.open();
    await expect(opening).rejects.toThrow(UnreachableError);
    await expect(opening).rejects.toThrow(/^m1: unreachable: via gw1: host key verification failed: \[127\.0\.0\.1\]:\d+ is not in /);
  });

  it('says which hop could not reach the next one', async () => {
    const closed = await freePort();
    const m1 = behind('m1', { port: closed });
    await expect(m1.open()).rejects.toThrow(new RegExp(`^m1: unreachable: via gw1: gw1 cannot open a connection to 127\\.0\\.0\\.1:${closed} \\(`));
  });

  it("verifies the host's own key through the tunnel too", async () => {
    const knownHostsFile = join(home, 'known_hosts_bastion_only');
    await writeFile(knownHostsFile, bastion.knownHostsLines.join('\n') + '\n');
    const m1 = new SshConnection('m1', sshSpec(target, { knownHostsFile, via: [gw1()] }));
    opened.push(m1);
    await expect(m1.open()).rejects.toThrow(/^m1: unreachable: host key verification failed: .* \(through gw1\)$/s);
  });

  it('goes through several hops in order (ProxyJump a,b)', async () => {
    const m1 = behind('m1', { via: [gw1(), { name: 'gw2', spec: sshSpec(bastion) }] });
    const loginsBefore = bastion.acceptedLogins();
    expect((await m1.exec(sh`echo deep`)).stdout).toBe('deep\n');
    // gw1, then gw2 through gw1 (the same test sshd plays both)
    expect(bastion.acceptedLogins() - loginsBefore).toBe(2);
  });
});

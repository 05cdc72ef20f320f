import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostKeyChecker } from './host-key-check.js';
import {
  entryMatchesHost,
  fingerprint,
  hostKeyName,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
} from './known-hosts.js';
import { generateKey } from './test-sshd.js';

const run = promisify(execFile);

/** An SSH wire-format public key blob, as a server presents it. */
function sshString(data: Buffer | string): Buffer {
  const bytes = Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
}

function rsaBlob(): Buffer {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const { e, n } = publicKey.export({ format: 'jwk' });
  const mpint = (b64url: string) => {
    const bytes = Buffer.from(b64url, 'base64url');
    return sshString(bytes[0] & 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes);
  };
  return Buffer.concat([sshString('ssh-rsa'), mpint(e!), mpint(n!)]);
}

/** What `ssh-keygen -H` writes: HMAC-SHA1 of the name, keyed with a random salt. */
function hashedName(name: string): string {
  const salt = randomBytes(20);
  const hmac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hmac.toString('base64')}`;
}

const line = (hosts: string, key: Buffer, marker = '') =>
  `${marker ? `${marker} ` : ''}${hosts} ${key.subarray(4, 4 + key.readUInt32BE(0)).toString()} ${key.toString('base64')}`;

describe('known_hosts parsing and matching', () => {
  const alpha = ed25519Blob();
  const beta = ed25519Blob();

  it('parses entries, skipping comments, blank, unknown-marker and corrupt lines', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        line('alpha', alpha),
        '@bogus alpha ssh-ed25519 AAAA',
        'alpha ssh-ed25519 bm90IGEga2V5', // blob does not decode to an ed25519 key
        `  ${line('beta,10.0.0.2', beta)} a comment  `,
      ].join('\n'),
    );
    expect(entries.map((e) => [e.line, e.hosts, e.keyType])).toEqual([
      [3, 'alpha', 'ssh-ed25519'],
      [6, 'beta,10.0.0.2', 'ssh-ed25519'],
    ]);
    expect(entries[1].key.equals(beta)).toBe(true);
  });

  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise, lower case', () => {
    expect(hostKeyName('Alpha.LAN', 22)).toBe('alpha.lan');
    expect(hostKeyName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('matches plain, comma-separated, wildcard and negated names', () => {
    const [entry] = parseKnownHosts(line('Alpha,10.0.0.1,[10.0.0.1]:2222,*.lab,!bad.lab', alpha));
    expect(entryMatchesHost(entry, 'alpha')).toBe(true);
    expect(entryMatchesHost(entry, '10.0.0.1')).toBe(true);
    expect(entryMatchesHost(entry, '[10.0.0.1]:2222')).toBe(true);
    expect(entryMatchesHost(entry, 'node1.lab')).toBe(true);
    expect(entryMatchesHost(entry, 'bad.lab')).toBe(false);
    expect(entryMatchesHost(entry, '[10.0.0.1]:22')).toBe(false);
    expect(entryMatchesHost(entry, '10.0.0.10')).toBe(false);
  });

  it('matches hashed names, including the [host]:port form', () => {
    const entries = parseKnownHosts([line(hashedName('alpha'), alpha), line(hashedName('[beta]:2222'), beta)].join('\n'));
    expect(lookupHostKey(entries, 'alpha', alpha).status).toBe('known');
    expect(lookupHostKey(entries, hostKeyName('beta', 2222), beta).status).toBe('known');
    expect(lookupHostKey(entries, 'beta', beta).status).toBe('unknown');
  });

  it('reports a different key for a listed host as changed', () => {
    const entries = parseKnownHosts(line('alpha', alpha));
    const found = lookupHostKey(entries, 'alpha', beta);
    expect(found.status).toBe('changed');
    expect(found.status === 'changed' && found.entries.map((e) => e.line)).toEqual([1]);
  });

  it('reports a @revoked key as revoked even when another line lists it', () => {
    const entries = parseKnownHosts([line('alpha', alpha), line('*', alpha, '@revoked')].join('\n'));
    expect(lookupHostKey(entries, 'alpha', alpha).status).toBe('revoked');
  });

  it('ignores @cert-authority lines (ssh2 does not negotiate host certificates)', () => {
    const entries = parseKnownHosts(line('*.lab', alpha, '@cert-authority'));
    expect(entries[0].marker).toBe('cert-authority');
    expect(lookupHostKey(entries, 'node.lab', alpha).status).toBe('unknown');
  });

  it('handles ssh-rsa and ecdsa key types', () => {
    const rsa = rsaBlob();
    const ecdsa = Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(randomBytes(65))]);
    const entries = parseKnownHosts([line('alpha', rsa), line('alpha', ecdsa)].join('\n'));
    expect(knownKeyTypes(entries, 'alpha')).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256']);
    expect(lookupHostKey(entries, 'alpha', rsa).status).toBe('known');
    expect(lookupHostKey(entries, 'alpha', ecdsa).status).toBe('known');
  });

  it('prints fingerprints like ssh-keygen -l', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'labwright-fingerprint-'));
    try {
      await generateKey(join(dir, 'key'));
      const blob = Buffer.from((await readFile(join(dir, 'key.pub'), 'utf8')).split(' ')[1], 'base64');
      const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'key.pub')]);
      expect(stdout.split(' ')[1]).toBe(fingerprint(blob));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('host key policy', () => {
  let dir: string;
  let file: string;
  const presented = ed25519Blob();
  const other = ed25519Blob();
  const spec = (hostKeyChecking: 'strict' | 'accept-new', port = 2222) => ({
    address: 'Node1.lab',
    port,
    hostKeyChecking,
    knownHostsFile: file,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'labwright-known-hosts-'));
    file = join(dir, 'ssh', 'known_hosts');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('accepts a recorded key', async () => {
    await writeFile(join(dir, 'kh'), line('[node1.lab]:2222', presented));
    const checker = await HostKeyChecker.load({ ...spec('strict'), knownHostsFile: join(dir, 'kh') });
    expect(await checker.verify(presented)).toEqual({ accepted: true });
  });

  it('strict: refuses an unknown host and tells how to record it', async () => {
    const checker = await HostKeyChecker.load(spec('strict'));
    const verdict = await checker.verify(presented);
    expect(verdict.accepted).toBe(false);
    const reason = verdict.accepted ? '' : verdict.reason;
    expect(reason).toContain(`ssh-keyscan -p 2222 Node1.lab >> ${file}`);
    expect(reason).toContain('host_key_checking: accept-new');
    expect(reason).toContain(fingerprint(presented));
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it('accept-new: accepts an unknown host and appends a [host]:port line', async () => {
    const checker = await HostKeyChecker.load(spec('accept-new'));
    expect(await checker.verify(presented)).toEqual({ accepted: true });
    expect(await readFile(file, 'utf8')).toBe(`[node1.lab]:2222 ssh-ed25519 ${presented.toString('base64')}\n`);
    // What was recorded is now trusted under the strict policy.
    expect(await (await HostKeyChecker.load(spec('strict'))).verify(presented)).toEqual({ accepted: true });
  });

  it('accept-new: records a bare host name on port 22, after a line missing its newline', async () => {
    await writeFile(join(dir, 'kh'), line('alpha', other));
    const checker = await HostKeyChecker.load({ ...spec('accept-new', 22), knownHostsFile: join(dir, 'kh') });
    expect(await checker.verify(presented)).toEqual({ accepted: true });
    expect(await readFile(join(dir, 'kh'), 'utf8')).toBe(
      `${line('alpha', other)}\nnode1.lab ssh-ed25519 ${presented.toString('base64')}\n`,
    );
  });

  for (const policy of ['strict', 'accept-new'] as const) {
    it(`${policy}: refuses a changed key loudly and records nothing`, async () => {
      await writeFile(join(dir, 'kh'), line(hashedName('[node1.lab]:2222'), other) + '\n');
      const checker = await HostKeyChecker.load({ ...spec(policy), knownHostsFile: join(dir, 'kh') });
      const verdict = await checker.verify(presented);
      expect(verdict.accepted).toBe(false);
      expect(verdict.accepted ? '' : verdict.reason).toMatch(/^host key mismatch: REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect(verdict.accepted ? '' : verdict.reason).toContain(`${join(dir, 'kh')}:1`);
      expect((await readFile(join(dir, 'kh'), 'utf8')).split('\n')).toHaveLength(2);
    });

    it(`${policy}: refuses a revoked key`, async () => {
      await writeFile(join(dir, 'kh'), line('*', presented, '@revoked') + '\n');
      const checker = await HostKeyChecker.load({ ...spec(policy), knownHostsFile: join(dir, 'kh') });
      const verdict = await checker.verify(presented);
      expect(verdict.accepted ? '' : verdict.reason).toMatch(/host key mismatch: .* marks @revoked/);
    });
  }

  it('asks the server for the key types on file first (RSA under its SHA-2 names)', async () => {
    await writeFile(join(dir, 'kh'), `${line('[node1.lab]:2222', rsaBlob())}\n${line('other', presented)}\n`);
    const checker = await HostKeyChecker.load({ ...spec('strict'), knownHostsFile: join(dir, 'kh') });
    expect(checker.preferredAlgorithms).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });
});

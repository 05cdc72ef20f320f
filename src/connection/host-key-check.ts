/**
 * The host key policy: which presented keys are accepted, what is recorded,
 * and what the user is told when a key is refused. There is deliberately no
 * policy that skips verification.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { quote } from '../shell/quote.js';
import type { ConnectionSpec } from './types.js';
import {
  appendKnownHost,
  fingerprint,
  hostKeyName,
  keyTypeOf,
  knownHostLine,
  knownKeyTypes,
  lookupHostKey,
  readKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';

export type HostKeyVerdict = { accepted: true } | { accepted: false; reason: string };

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/**
 * Host key algorithms ssh2 can negotiate, by the key type recorded in
 * known_hosts (RSA keys are signed with SHA-2 but keep the `ssh-rsa` blob type).
 */
const ALGORITHMS_OF_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export class HostKeyChecker {
  private constructor(
    private readonly spec: Pick<ConnectionSpec, 'address' | 'port' | 'hostKeyChecking'>,
    private readonly file: string,
    private readonly entries: KnownHostEntry[],
  ) {}

  /** Reads the known_hosts file once, before connecting. */
  static async load(spec: Pick<ConnectionSpec, 'address' | 'port' | 'hostKeyChecking' | 'knownHostsFile'>): Promise<HostKeyChecker> {
    const file = spec.knownHostsFile ?? defaultKnownHostsFile();
    return new HostKeyChecker(spec, file, await readKnownHosts(file));
  }

  private get name(): string {
    return hostKeyName(this.spec.address, this.spec.port);
  }

  /**
   * Host key algorithms to ask the server for first: those already recorded
   * for this host (as OpenSSH does), so that a server with several host keys
   * presents the one on file rather than a different, "changed" one.
   */
  get preferredAlgorithms(): ServerHostKeyAlgorithm[] {
    return knownKeyTypes(this.entries, this.name).flatMap((type) => ALGORITHMS_OF_KEY_TYPE[type] ?? []);
  }

  async verify(key: Buffer): Promise<HostKeyVerdict> {
    const found = lookupHostKey(this.entries, this.name, key);
    switch (found.status) {
      case 'known':
        return { accepted: true };
      case 'revoked':
        return { accepted: false, reason: this.revokedMessage(key, found.entry) };
      case 'changed':
        return { accepted: false, reason: this.changedMessage(key, found.entries) };
      case 'unknown':
        if (this.spec.hostKeyChecking === 'strict') return { accepted: false, reason: this.unknownMessage(key) };
        await appendKnownHost(this.file, knownHostLine(this.name, key));
        return { accepted: true };
    }
  }

  private unknownMessage(key: Buffer): string {
    const { address, port } = this.spec;
    return (
      `host key verification failed: ${this.name} is not in ${this.file} ` +
      `(it presented ${describeKey(key)}). Check the key and record it with\n` +
      `  ssh-keyscan -p ${port} ${quote(address)} >> ${quote(this.file)}\n` +
      `or set host_key_checking: accept-new to record unknown hosts on first connection.`
    );
  }

  private changedMessage(key: Buffer, recorded: KnownHostEntry[]): string {
    const onFile = recorded.map((e) => `  ${this.file}:${e.line}: ${describeKey(e.key)}`).join('\n');
    return (
      `host key mismatch: REMOTE HOST IDENTIFICATION HAS CHANGED for ${this.name}!\n` +
      `It presented ${describeKey(key)}, but known_hosts records:\n${onFile}\n` +
      `Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. ` +
      `Refusing to connect. If the change is expected, remove the old key with\n` +
      `  ssh-keygen -R ${quote(this.name)} -f ${quote(this.file)}`
    );
  }

  private revokedMessage(key: Buffer, entry: KnownHostEntry): string {
    return (
      `host key mismatch: ${this.name} presented ${describeKey(key)}, ` +
      `which ${this.file}:${entry.line} marks @revoked. Refusing to connect.`
    );
  }
}

function describeKey(key: Buffer): string {
  return `${keyTypeOf(key)} ${fingerprint(key)}`;
}

/**
 * Which credentials an ssh connection offers, in OpenSSH's order: key files,
 * then the ssh agent (unless IdentitiesOnly), then a password.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentAuthMethod, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { ssh2 } from './ssh2-module.js';
import type { ConnectionSpec } from './types.js';

export type SshAuthMethod = PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod;

export interface SshCredentials {
  readonly methods: SshAuthMethod[];
  /** What was offered, for "authentication failed" messages: `key /root/.ssh/id_ed25519, ssh-agent`. */
  readonly offered: string;
}

const parseKey = (key: Buffer) => ssh2().utils.parseKey(key);

const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export async function loadCredentials(
  spec: Pick<ConnectionSpec, 'privateKeyFile' | 'password' | 'identityFiles' | 'identitiesOnly'>,
  username: string,
  agentSocket = process.env.SSH_AUTH_SOCK,
): Promise<SshCredentials> {
  const named = spec.privateKeyFile ? [await readExplicitKey(spec.privateKeyFile)] : [];
  const listed = spec.identityFiles ?? [];
  // as ssh: the usual key files only when no key file is named at all
  const keys = named.length + listed.length > 0 ? [...named, ...(await readUsableKeys(listed))] : await readUsableKeys(defaultKeyFiles());
  const methods: SshAuthMethod[] = keys.map(({ key }) => ({ type: 'publickey', username, key }));
  const offered = keys.map(({ file }) => `key ${file}`);
  if (agentSocket && !spec.identitiesOnly) {
    methods.push({ type: 'agent', username, agent: agentSocket });
    offered.push('ssh-agent');
  }
  if (spec.password) {
    methods.push({ type: 'password', username, password: spec.password.reveal() });
    offered.push('password');
  }
  return { methods, offered: offered.join(', ') || 'nothing (no key file, no SSH_AUTH_SOCK, no password)' };
}

interface KeyFile {
  file: string;
  key: Buffer;
}

/** A key the user named must be usable: say why it is not. */
async function readExplicitKey(file: string): Promise<KeyFile> {
  const key = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read private key file ${file}: ${err.code ?? err.message}`);
  });
  const parsed = parseKey(key);
  if (parsed instanceof Error) throw new Error(`cannot use private key file ${file}: ${parsed.message}`);
  return { file, key };
}

function defaultKeyFiles(): string[] {
  return DEFAULT_KEY_FILES.map((name) => join(homedir(), '.ssh', name));
}

/** Like ssh, try the key files that exist; skip ones ssh2 cannot use (passphrase-protected: use the agent). */
async function readUsableKeys(files: readonly string[]): Promise<KeyFile[]> {
  const found = await Promise.all(
    files.map(async (file) => {
      const key = await readFile(file).catch(() => undefined);
      return key && !(parseKey(key) instanceof Error) ? [{ file, key }] : [];
    }),
  );
  return found.flat();
}

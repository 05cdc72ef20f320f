import type { Command } from '../shell/quote.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code of the remote command; null when it was killed by a signal. */
  code: number | null;
}

export interface ExecOptions {
  /** Bytes written to the command's standard input, then EOF. */
  stdin?: string | Buffer;
  /** Run as the become user through sudo: `sudo -n` (never prompts), or `sudo -S` fed the become password (./sudo-password.ts). */
  become?: boolean;
  /**
   * Kill the command and reject with a timeout error after this many
   * milliseconds (default: the connection's commandTimeoutMs).
   */
  timeoutMs?: number;
}

/**
 * One long-lived connection to one host. Every task of a run goes through the
 * same Connection (ssh: one TCP connection, one channel per exec).
 */
export interface Connection {
  readonly host: string;
  /** Opens the connection; rejects with UnreachableError. Idempotent. */
  open(): Promise<void>;
  /** Runs `cmd` with `sh -c` semantics; resolves with its result (never rejects on a non-zero exit). */
  exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /** Number of exec round trips made so far (for benchmarks and -v). */
  readonly roundTrips: number;
  close(): Promise<void>;
}

/** Everything needed to open a connection, resolved from inventory vars. */
export interface ConnectionSpec {
  kind: 'ssh' | 'local';
  /** Address to connect to (ansible_host, else the inventory name). */
  address: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  password?: import('../secret.js').Secret;
  become: boolean;
  becomeUser?: string;
  /** The sudo password (ansible_become_password, or -K): sent to `sudo -S` on stdin, never on a command line. */
  becomePassword?: import('../secret.js').Secret;
  /** known_hosts policy: verify strictly (default) or accept and record unknown hosts. */
  hostKeyChecking: 'strict' | 'accept-new';
  knownHostsFile?: string;
  connectTimeoutMs: number;
  /**
   * The ceiling of every command that sets no timeout of its own (host var
   * `labwright_command_timeout`, in seconds; DEFAULT_COMMAND_TIMEOUT_MS when unset).
   */
  commandTimeoutMs?: number;
  /** More key files to offer after privateKeyFile (ssh_config IdentityFile, ssh -i): one that cannot be read is skipped, as ssh does. */
  identityFiles?: readonly string[];
  /** Offer only the key files, never the ssh agent's keys (ssh_config IdentitiesOnly yes). */
  identitiesOnly?: boolean;
  /** Jump hosts (ProxyJump), in order: the first is connected to directly, each next one through the one before, the host through the last. */
  via?: readonly JumpHop[];
}

/** A jump host on the way to a host: `name` (an inventory host, or the ProxyJump entry as written) is used in messages. */
export interface JumpHop {
  readonly name: string;
  readonly spec: ConnectionSpec;
}

import { formatDuration } from './timeout.js';
import type { ConnectionSpec } from './types.js';

/** An error from ssh2's Client: a socket error (`code`) or a protocol stage failure (`level`). */
export type SshClientError = Error & { code?: string; level?: string };

export interface FailureContext {
  spec: Pick<ConnectionSpec, 'address' | 'port' | 'connectTimeoutMs'>;
  user: string;
  /** Credentials offered, as SshCredentials.offered describes them. */
  offered: string;
  /** Whether the connection had been established (errors then mean it was lost). */
  established: boolean;
  keepaliveTimeoutMs: number;
}

/** A short human reason for an UnreachableError. */
export function describeSshFailure(err: SshClientError, context: FailureContext): string {
  const { spec, user, offered, established, keepaliveTimeoutMs } = context;
  const endpoint = `${spec.address}:${spec.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused (nothing listens on ${endpoint})`;
    case 'ECONNRESET':
      return `connection reset by ${endpoint}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host name ${spec.address}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${spec.address}`;
    case 'ETIMEDOUT':
      return `timed out connecting to ${endpoint}`;
  }
  switch (err.level) {
    case 'client-timeout':
      return established
        ? `connection lost: no answer to keepalives for ${formatDuration(keepaliveTimeoutMs)}`
        : `timed out after ${formatDuration(spec.connectTimeoutMs)} (no ssh handshake with ${endpoint})`;
    case 'client-authentication':
      return `authentication failed for user ${user} (offered ${offered})`;
  }
  return err.message;
}

import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';
import type { Connection, ConnectionSpec } from './types.js';

export type { Connection, ConnectionSpec, ExecOptions, ExecResult } from './types.js';
export { CommandTimeoutError } from './timeout.js';

/** The connection for one inventory host; nothing is opened until `open()` or the first `exec()`. */
export function connect(hostName: string, spec: ConnectionSpec): Connection {
  return spec.kind === 'local' ? new LocalConnection(hostName, spec) : new SshConnection(hostName, spec);
}

import { createRequire } from 'node:module';

/**
 * The ssh2 module, loaded (CommonJS, synchronously) when the first SSH
 * connection is made or a key file is read: --list-hosts, --plan and runs
 * on local connections never load it.
 */
export function ssh2(): typeof import('ssh2') {
  return createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
}

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { ConnectionSpec } from '../connection/types.js';
import { Secret, secret } from '../secret.js';
import { describe } from './describe.js';
import type { Located } from './merge.js';
import { parseErrorAt } from './position.js';
import { ADDRESS, BOOLEAN, expectValue, PORT, SECONDS, TEXT, type Expectation } from './schema.js';

/** A variable that sets one connection setting. An Ansible key comes first, then its alias. */
type Source<T> = readonly [key: string, expectation: Expectation<T>];

const KIND: Expectation<ConnectionSpec['kind']> = {
  schema: z.enum(['ssh', 'local', 'smart', 'paramiko']).transform((kind) => (kind === 'local' ? 'local' : 'ssh')),
  expected: 'ssh or local (smart and paramiko mean ssh)',
};

const HOST_KEY_POLICY: Expectation<ConnectionSpec['hostKeyChecking']> = {
  schema: z.enum(['strict', 'accept-new']),
  expected: 'strict or accept-new',
};

const ANSIBLE_HOST_KEY_CHECKING: Expectation<ConnectionSpec['hostKeyChecking']> = {
  schema: z.literal(true).transform(() => 'strict' as const),
  expected: 'true',
  advice: (found) =>
    found === false
      ? 'labwright never turns host key verification off: ' +
        'set host_key_checking: accept-new to accept and record unknown host keys'
      : undefined,
};

const PASSWORD: Expectation<Secret> = {
  schema: z.union([z.instanceof(Secret), z.string().transform(secret)]),
  expected: 'a string (preferably tagged !secret)',
};

/** The connection settings of host `name` from its merged variables. */
export function resolveConnection(name: string, vars: ReadonlyMap<string, Located>): ConnectionSpec {
  const setting = <T>(...sources: Source<T>[]): T | undefined => resolveSetting(vars, sources);
  const timeoutSeconds = setting(['connect_timeout', SECONDS]) ?? 10;
  return {
    kind: setting(['ansible_connection', KIND], ['connection', KIND]) ?? 'ssh',
    address: setting(['ansible_host', ADDRESS], ['address', ADDRESS]) ?? name,
    port: setting(['ansible_port', PORT], ['port', PORT]) ?? 22,
    user: setting(['ansible_user', TEXT], ['user', TEXT]),
    privateKeyFile: setting(['ansible_ssh_private_key_file', TEXT], ['key_file', TEXT]),
    password: setting(['ansible_password', PASSWORD]),
    become: setting(['ansible_become', BOOLEAN], ['become', BOOLEAN]) ?? false,
    becomeUser: setting(['ansible_become_user', TEXT]),
    hostKeyChecking:
      setting(['ansible_host_key_checking', ANSIBLE_HOST_KEY_CHECKING], ['host_key_checking', HOST_KEY_POLICY]) ??
      'strict',
    knownHostsFile: setting(['known_hosts_file', TEXT]),
    connectTimeoutMs: timeoutSeconds * 1000,
  };
}

/** The checked value of the variables that set one setting; they must agree when several are set. */
function resolveSetting<T>(vars: ReadonlyMap<string, Located>, sources: readonly Source<T>[]): T | undefined {
  const found = sources.flatMap(([key, expectation]) => {
    const located = vars.get(key);
    return located ? [{ key, ...located, checked: expectValue(expectation, located.value, located.origin) }] : [];
  });
  const [first, other] = found;
  if (other && !isDeepStrictEqual(first.checked, other.checked)) {
    throw parseErrorAt(
      other.origin,
      `${other.key} is ${describe(other.value)} but ${first.key} is ${describe(first.value)} ` +
        `(${first.origin.location}): set only one of them`,
    );
  }
  return first?.checked;
}

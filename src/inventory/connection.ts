import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { ConnectionSpec } from '../connection/types.js';
import { isSecret, Secret, secret } from '../secret.js';
import { controllerPath } from './controller-path.js';
import { describe } from './describe.js';
import type { Located, VarLayer } from './merge.js';
import { parseErrorAt, type Origin } from './position.js';
import { ADDRESS, BOOLEAN, expectValue, PORT, SECONDS, TEXT, type Expectation } from './schema.js';

/** A variable that sets one connection setting, and what its value must be. */
type Spelling<T> = readonly [key: string, expectation: Expectation<T>];

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

const BECOME_METHOD: Expectation<'sudo'> = {
  schema: z.literal('sudo'),
  expected: 'sudo',
  advice: () =>
    'labwright becomes another user only through sudo: remove ansible_become_method or set it to sudo ' +
    '(with ansible_become_password, or -K, when sudo asks the connection user for a password)',
};

/**
 * The spellings of each setting: the Ansible key first, then Ansible's other
 * (legacy) keys, then labwright's friendlier alias. Spellings of one setting
 * are one variable for precedence: the source with the highest precedence that
 * sets any of them wins (`ansible_become: true` on a group, `become: false` on
 * one of its hosts: the host does not become root). Only one source (a host
 * entry, a `vars:` section, a vars file, the extra vars) setting two of them to
 * different values is an error.
 *
 * ansible-core differs when two spellings are set in different places: it
 * picks between them by name, whatever their precedence (ansible-core 2.14
 * connects to a group's ansible_ssh_host rather than its host's ansible_host),
 * and it does not know labwright's aliases.
 */
const SETTINGS = {
  kind: [['ansible_connection', KIND], ['connection', KIND]],
  address: [['ansible_host', ADDRESS], ['ansible_ssh_host', ADDRESS], ['address', ADDRESS]],
  port: [['ansible_port', PORT], ['ansible_ssh_port', PORT], ['port', PORT]],
  user: [['ansible_user', TEXT], ['ansible_ssh_user', TEXT], ['user', TEXT]],
  privateKeyFile: [['ansible_ssh_private_key_file', TEXT], ['ansible_private_key_file', TEXT], ['key_file', TEXT]],
  password: [['ansible_password', PASSWORD], ['ansible_ssh_pass', PASSWORD], ['ansible_ssh_password', PASSWORD]],
  become: [['ansible_become', BOOLEAN], ['become', BOOLEAN]],
  becomeMethod: [['ansible_become_method', BECOME_METHOD]],
  becomeUser: [['ansible_become_user', TEXT]],
  becomePassword: [['ansible_become_password', PASSWORD], ['ansible_become_pass', PASSWORD]],
  hostKeyChecking: [
    ['ansible_host_key_checking', ANSIBLE_HOST_KEY_CHECKING],
    ['ansible_ssh_host_key_checking', ANSIBLE_HOST_KEY_CHECKING],
    ['host_key_checking', HOST_KEY_POLICY],
  ],
  knownHostsFile: [['known_hosts_file', TEXT]],
  connectTimeout: [['ansible_timeout', SECONDS], ['ansible_ssh_timeout', SECONDS], ['connect_timeout', SECONDS]],
  commandTimeout: [['labwright_command_timeout', SECONDS]],
} satisfies Record<string, readonly Spelling<unknown>[]>;

/** Whether `vars` set connection setting `setting` under any of its spellings (ssh_config gives only what the inventory does not; the user needs no such test: it has no default). */
export function setsConnection(vars: Readonly<Record<string, unknown>>, setting: 'port'): boolean {
  return SETTINGS[setting].some(([key]) => vars[key] !== undefined);
}

/*
 * ansible_ssh_common_args, ansible_ssh_extra_args (their ProxyJump, ProxyCommand,
 * -F …) and labwright_jump_host are read with the ssh_config by ./ssh-reach.ts,
 * once every host's settings are known (a jump host may be another host).
 */

/** Settings given on the command line, for hosts whose variables set none (as Ansible: a host's variable wins). */
export interface ConnectionDefaults {
  /** -u/--user: the remote user (it also wins over an ssh_config User, as Ansible's -u does). */
  readonly user?: string;
  /** --private-key: the key file offered first (an absolute path). */
  readonly privateKeyFile?: string;
  /** -b/--become: sudo for every task. */
  readonly become?: boolean;
  /** --become-user: the user sudo runs tasks as. */
  readonly becomeUser?: string;
  /** -K/--ask-become-pass (Ansible: a host's ansible_become_password wins over it). */
  readonly becomePassword?: Secret;
  /** --timeout: the command ceiling (seconds) of hosts whose vars set no labwright_command_timeout. */
  readonly commandTimeoutSeconds?: number;
}

/**
 * The connection settings of host `name` from its variable sources (lowest
 * precedence first, as given by hostLayers).
 */
export function resolveConnection(name: string, layers: readonly VarLayer[], defaults: ConnectionDefaults = {}): ConnectionSpec {
  const setting = <T>(spellings: readonly Spelling<T>[]): T | undefined => resolveSetting(layers, spellings)?.value;
  const pathSetting = (spellings: readonly Spelling<string>[]): string | undefined => {
    const found = resolveSetting(layers, spellings);
    return found && controllerPath(found.value, found.origin);
  };
  const user = setting(SETTINGS.user) ?? defaults.user;
  setting(SETTINGS.becomeMethod); // only checked: sudo is the one method
  const timeoutSeconds = setting(SETTINGS.connectTimeout) ?? 10;
  const commandTimeoutSeconds = setting(SETTINGS.commandTimeout) ?? defaults.commandTimeoutSeconds;
  return {
    kind: setting(SETTINGS.kind) ?? 'ssh',
    address: setting(SETTINGS.address) ?? name,
    port: setting(SETTINGS.port) ?? 22,
    user,
    privateKeyFile: pathSetting(SETTINGS.privateKeyFile) ?? defaults.privateKeyFile,
    password: setting(SETTINGS.password),
    become: setting(SETTINGS.become) ?? defaults.become ?? false,
    becomeUser: setting(SETTINGS.becomeUser) ?? defaults.becomeUser,
    becomePassword: setting(SETTINGS.becomePassword) ?? defaults.becomePassword,
    hostKeyChecking: setting(SETTINGS.hostKeyChecking) ?? 'strict',
    knownHostsFile: pathSetting(SETTINGS.knownHostsFile),
    connectTimeoutMs: timeoutSeconds * 1000,
    commandTimeoutMs: commandTimeoutSeconds === undefined ? undefined : commandTimeoutSeconds * 1000,
  };
}

/**
 * The checked value of one setting, and where it was set: that of the source
 * with the highest precedence setting any of its spellings (values it
 * overrides are not checked). A source that sets several spellings must give
 * them equal values.
 */
function resolveSetting<T>(layers: readonly VarLayer[], spellings: readonly Spelling<T>[]): { value: T; origin: Origin } | undefined {
  let winner: { key: string; located: Located; expectation: Expectation<T> } | undefined;
  for (const layer of layers) {
    const found = spellings.flatMap(([key, expectation]) => {
      const located = layer.get(key);
      return located ? [{ key, located, expectation }] : [];
    });
    const [first, ...others] = found;
    if (!first) continue;
    const checked = (entry: typeof first) => expectValue(entry.expectation, settingValue(entry.located.value, entry.expectation), entry.located.origin);
    for (const other of others) {
      if (!isDeepStrictEqual(checked(first), checked(other))) {
        throw parseErrorAt(
          other.located.origin,
          `${other.key} is ${describe(other.located.value)} but ${first.key} is ${describe(first.located.value)} ` +
            `(${first.located.origin.location}): set only one of them`,
        );
      }
    }
    winner = first;
  }
  if (!winner) return undefined;
  const value = expectValue(winner.expectation, settingValue(winner.located.value, winner.expectation), winner.located.origin);
  return { value, origin: winner.located.origin };
}

/**
 * A setting from a vault (ansible_host, ansible_user in an encrypted vars file)
 * is a Secret: the setting takes its text, which stays masked in every output.
 */
function settingValue(value: unknown, expectation: Expectation<unknown>): unknown {
  return isSecret(value) && expectation !== PASSWORD ? value.reveal() : value;
}

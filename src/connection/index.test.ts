import { describe, expect, it } from 'vitest';
import { connect } from './index.js';
import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';
import type { ConnectionSpec } from './types.js';

describe('connect', () => {
  const spec: ConnectionSpec = {
    kind: 'ssh',
    address: '127.0.0.1',
    port: 22,
    become: false,
    hostKeyChecking: 'strict',
    connectTimeoutMs: 10_000,
  };

  it('picks the connection by kind, without opening it', () => {
    const ssh = connect('lab1', spec);
    expect(ssh).toBeInstanceOf(SshConnection);
    expect([ssh.host, ssh.roundTrips]).toEqual(['lab1', 0]);
    expect(connect('controller', { ...spec, kind: 'local' })).toBeInstanceOf(LocalConnection);
  });
});

import { describe, expect, it } from 'vitest';
import type { IpAddress } from '../facts/builtin.js';
import { interfaceHolding, interfaceOnSubnetOf, isIpv4, parseIpv4WithPrefix } from './host-address.js';

const ifaces: IpAddress[] = [
  { ifname: 'lo', mtu: 65536, state: 'UNKNOWN', addresses: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  {
    ifname: 'ens160',
    mtu: 1500,
    state: 'UP',
    addresses: [
      { family: 'inet', local: '192.168.68.56', prefixlen: 24 },
      { family: 'inet', local: '192.168.68.200', prefixlen: 32 },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
    ],
  },
  { ifname: 'ens192', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '10.10.0.11', prefixlen: 24 }] },
  { ifname: 'wide', mtu: 1500, state: 'UP', addresses: [{ family: 'inet', local: '10.0.0.5', prefixlen: 8 }] },
];

describe('host addresses', () => {
  it('finds the interface holding an address', () => {
    expect(interfaceHolding(ifaces, '10.10.0.11')?.ifname).toBe('ens192');
    expect(interfaceHolding(ifaces, '10.10.0.12')).toBeUndefined();
    expect(interfaceHolding(ifaces, 'gw1.lab')).toBeUndefined();
  });

  it('finds the interface on the subnet of an address, longest prefix first, ignoring the address itself', () => {
    expect(interfaceOnSubnetOf(ifaces, '192.168.68.200')).toMatchObject({ local: '192.168.68.56', prefixlen: 24, iface: { ifname: 'ens160' } });
    expect(interfaceOnSubnetOf(ifaces, '10.10.0.130')?.iface.ifname).toBe('ens192');
    expect(interfaceOnSubnetOf(ifaces, '10.20.0.1')?.iface.ifname).toBe('wide');
    expect(interfaceOnSubnetOf(ifaces, '127.0.0.2')).toBeUndefined();
    expect(interfaceOnSubnetOf(ifaces, '172.16.0.1')).toBeUndefined();
  });

  it('parses strict IPv4 with an optional prefix', () => {
    expect(parseIpv4WithPrefix('192.168.68.200/24')).toEqual({ address: '192.168.68.200', prefix: 24 });
    expect(parseIpv4WithPrefix('192.168.68.200')).toEqual({ address: '192.168.68.200', prefix: undefined });
    expect(parseIpv4WithPrefix('192.168.68.200/33')).toBeUndefined();
    expect(parseIpv4WithPrefix('10.1')).toBeUndefined();
    expect(isIpv4('010.0.0.1')).toBe(false);
    expect(isIpv4('fd00::1')).toBe(false);
  });
});

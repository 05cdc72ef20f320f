import { describe, expect, it } from 'vitest';
import { broadcast, cidrsOverlap, contains, netmask, normaliseMac, nthHost, parseCidr, parseV4Range, rangesOverlap } from './address.js';

describe('address math', () => {
  it('normalises CIDRs to their network', () => expect(parseCidr('10.0.0.7/24').text).toBe('10.0.0.0/24'));
  it('contains', () => {
    expect(contains('10.0.0.0/24', '10.0.0.200')).toBe(true);
    expect(contains('10.0.0.0/24', '10.0.1.1')).toBe(false);
    expect(contains('10.0.0.0/24', '::1')).toBe(false);
  });
  it('nth host, broadcast, netmask', () => {
    expect(nthHost('192.168.105.0/24', 1)).toBe('192.168.105.1');
    expect(nthHost('192.168.105.0/24', -1)).toBe('192.168.105.254');
    expect(() => nthHost('10.0.0.0/30', 3)).toThrow(/outside/);
    expect(broadcast('10.10.20.0/24')).toBe('10.10.20.255');
    expect(netmask('10.10.0.0/16')).toBe('255.255.0.0');
  });
  it('ranges: dashed, spaced (seed 001), CIDR; overlap', () => {
    const spaced = parseV4Range('10.4.11.0 - 10.4.15.254');
    expect(spaced.text).toBe('10.4.11.0-10.4.15.254');
    expect(rangesOverlap(spaced, parseV4Range('10.4.15.0/24'))).toBe(true);
    expect(rangesOverlap(spaced, parseV4Range('10.4.16.0/24'))).toBe(false);
    expect(() => parseV4Range('10.0.0.9-10.0.0.1')).toThrow(/comes before/);
  });
  it('CIDR overlap', () => {
    expect(cidrsOverlap('10.96.0.0/12', '10.100.0.0/16')).toBe(true);
    expect(cidrsOverlap('192.168.0.0/16', '10.0.0.0/8')).toBe(false);
  });
  it('MACs', () => {
    expect(normaliseMac('AA-BB-CC-DD-EE-01')).toBe('aa:bb:cc:dd:ee:01');
    expect(() => normaliseMac('aa:bb:cc')).toThrow(/invalid MAC/);
  });
});

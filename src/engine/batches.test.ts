import { describe, expect, it } from 'vitest';
import { serialBatches } from './batches.js';

const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

describe('serial batches', () => {
  it('one batch by default', () => expect(serialBatches(hosts)).toEqual([hosts]));
  it('fixed size', () => expect(serialBatches(hosts, 4).map((b) => b.length)).toEqual([4, 4, 2]));
  it('percentage', () => expect(serialBatches(hosts, '30%').map((b) => b.length)).toEqual([3, 3, 3, 1]));
  it('list with the last size repeating', () => expect(serialBatches(hosts, [1, '50%', 2]).map((b) => b.length)).toEqual([1, 5, 2, 2]));
  it('at least one host per batch', () => expect(serialBatches(['a', 'b'], '10%').map((b) => b.length)).toEqual([1, 1]));
  it('rejects nonsense', () => expect(() => serialBatches(hosts, 'lots')).toThrow(/serial: expected a count or a percentage/));
});

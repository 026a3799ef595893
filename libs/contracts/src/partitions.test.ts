import { randomUUID } from 'node:crypto';
import { fnv1a, partitionOf, partitionSubject } from './partitions';

describe('conversation partitions', () => {
  it('hashes with FNV-1a 32-bit, so every process and version agrees', () => {
    // Reference values of the FNV-1a specification.
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('puts a conversation in the same partition every time, within range', () => {
    const id = randomUUID();
    expect(partitionOf(id, 16)).toBe(partitionOf(id, 16));
    for (const partitions of [1, 7, 16, 1024]) {
      const partition = partitionOf(randomUUID(), partitions);
      expect(Number.isInteger(partition) && partition >= 0 && partition < partitions).toBe(true);
    }
  });

  it('spreads random conversation ids evenly over the partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(randomUUID(), 16)]!++;
    // 1,000 expected each; a binomial's standard deviation here is about 31.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(200);
  });

  it('names a partition as a token after the contract subject', () => {
    expect(partitionSubject('messages.send', 3)).toBe('messages.send.3');
  });
});

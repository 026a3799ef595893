import { InFlightCounts } from './in-flight';

describe('in-flight counts', () => {
  it('admits up to the limit per key, frees a slot on leave and forgets an idle key', () => {
    const counts = new InFlightCounts(2);
    expect([counts.enter('a'), counts.enter('a'), counts.enter('a')]).toEqual([true, true, false]);
    expect(counts.enter('b')).toBe(true);
    counts.leave('a');
    expect(counts.enter('a')).toBe(true);
    counts.leave('a');
    counts.leave('a');
    counts.leave('b');
    expect(counts.keys).toBe(0);
  });
});

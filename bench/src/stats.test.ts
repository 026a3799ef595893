import { Samples } from './stats';

describe('latency samples', () => {
  it('reports nearest-rank percentiles', () => {
    const s = new Samples();
    for (let i = 1; i <= 100; i++) s.add(i);
    expect(s.summary()).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('buckets values by upper bound, the last bucket taking the rest', () => {
    const s = new Samples();
    [0.5, 1, 3, 7, 500].forEach((v) => s.add(v));
    expect(s.histogram([1, 5, 10])).toEqual([2, 1, 2]);
  });
});

import { TokenBucket } from './token-bucket';

describe('token bucket', () => {
  it('allows a burst, then refuses until time refills it', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(400)).toBe(false);
    expect(bucket.take(500)).toBe(true);
  });

  it('never saves up more than the burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
  });
});

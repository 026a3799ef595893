import { InMemoryRateCounter, isExempt, loginKey, rateVerdict } from './rate-limits';

describe('rate limits', () => {
  it('allows up to the limit and reports what is left', () => {
    expect(rateVerdict(3, 1, 60_000, 1_000_000)).toEqual({ allowed: true, limit: 3, remaining: 2, resetAt: 1060, retryAfterSeconds: 60 });
    expect(rateVerdict(3, 3, 500, 0)).toMatchObject({ allowed: true, remaining: 0, retryAfterSeconds: 1 });
    expect(rateVerdict(3, 4, 1_500, 0)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
  });

  it('exempts operations, docs and the web UI, and nothing else', () => {
    for (const path of ['/', '/health', '/ready', '/metrics', '/docs', '/docs/assets/x.js', '/redoc', '/openapi.json', '/asyncapi.json', '/static/chat.html']) {
      expect(isExempt(path)).toBe(true);
    }
    for (const path of ['/auth/login', '/users', '/healthz', '/docsx', '/conversations']) expect(isExempt(path)).toBe(false);
  });

  it('keys login attempts by lower-case name and address', () => {
    expect(loginKey('Alice', '::1')).toBe('ratelimit:login:alice:::1');
    expect(loginKey(undefined, '::1')).toBeNull();
    expect(loginKey(42, '::1')).toBeNull();
  });

  it('gives a name one login key however it is spelt, and a non-ASCII spelling none of its own that reaches the account', () => {
    expect(loginKey('SIIIUSER', '::1')).toBe(loginKey('siiiuser', '::1'));
    // 'sİii…' has no canonical form: auth answers it 401 at once, so its separate key guards nothing.
    expect(loginKey('sİiiuser', '::1')).not.toBe(loginKey('siiiuser', '::1'));
  });
});

describe('in-memory rate counter', () => {
  it('counts hits in a fixed window, refunds only inside it, and opens a new one after it', async () => {
    let now = 0;
    const counter = new InMemoryRateCounter(2, () => now);
    expect(await counter.hit('a', 1000)).toEqual([1, 1000]);
    now = 400;
    expect(await counter.hit('a', 1000)).toEqual([2, 600]);
    await counter.refund('a');
    expect(await counter.hit('a', 1000)).toEqual([2, 600]);
    now = 1000;
    await counter.refund('a');
    expect(await counter.hit('a', 1000)).toEqual([1, 1000]);
    await counter.hit('b', 1000);
    await counter.hit('c', 1000);
    // Bounded at two windows: the oldest ('a') made room for 'c'.
    expect(await counter.hit('c', 1000)).toEqual([2, 1000]);
    expect(await counter.hit('a', 1000)).toEqual([1, 1000]);
  });
});

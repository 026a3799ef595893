import { MembershipCache } from './membership-cache';

describe('membership cache', () => {
  let now = 0;
  const cache = () => new MembershipCache(1000, 2, () => now);

  beforeEach(() => (now = 0));

  it('knows a confirmed member until the time bound passes', () => {
    const c = cache();
    expect(c.isKnownMember('c1', 'alice')).toBe(false);
    c.confirm('c1', 'alice');
    now = 999;
    expect(c.isKnownMember('c1', 'alice')).toBe(true);
    now = 1000;
    expect(c.isKnownMember('c1', 'alice')).toBe(false);
  });

  it('forgets a member at once when they are removed', () => {
    const c = cache();
    c.confirm('c1', 'alice');
    c.forget('c1', 'alice');
    expect(c.isKnownMember('c1', 'alice')).toBe(false);
  });

  it('keeps at most its bound, dropping the oldest confirmation', () => {
    const c = cache();
    c.confirm('c1', 'a');
    c.confirm('c1', 'b');
    c.confirm('c1', 'c');
    expect([c.isKnownMember('c1', 'a'), c.isKnownMember('c1', 'b'), c.isKnownMember('c1', 'c')]).toEqual([false, true, true]);
  });
});

import { VerifiedTokens } from './verified-tokens';

describe('verified tokens', () => {
  const claims = (expiresAt: number) => ({ userId: 'u', expiresAt });

  it('answers a token remembered and not yet expired', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t1', claims(2000));
    expect(tokens.get('t1', 1999)).toEqual(claims(2000));
    expect(tokens.get('t2', 1999)).toBeUndefined();
  });

  it('forgets a token at its expiry, so it is verified (and refused) again', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t1', claims(2000));
    expect(tokens.get('t1', 2000)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('holds at most its bound, dropping the oldest first', () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember('a', claims(9000));
    tokens.remember('b', claims(9000));
    tokens.remember('c', claims(9000));
    expect(tokens.size).toBe(2);
    expect(tokens.get('a', 0)).toBeUndefined();
    expect(tokens.get('b', 0)).toBeDefined();
    expect(tokens.get('c', 0)).toBeDefined();
  });

  it('forgets everything when the signing keys change', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('a', claims(9000));
    tokens.forgetAll();
    expect(tokens.get('a', 0)).toBeUndefined();
  });
});

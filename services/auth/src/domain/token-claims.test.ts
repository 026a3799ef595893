import { accessClaims, asRefreshClaims, refreshClaims, type TokenPolicy } from './token-claims';

const policy: TokenPolicy = { issuer: 'pneumatic-auth', audience: 'pneumatic', accessTtlSeconds: 1800, refreshTtlSeconds: 604800 };
const user = { id: '6f1c2f5e-8a43-4c57-9d0e-3b3f1d2a9c11', username: 'alice' };
const jti = '0b8e7f5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const fam = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

describe('token claims', () => {
  it('builds access claims naming their session that expire after the access TTL', () => {
    expect(accessClaims(user, jti, fam, 1_000, policy)).toEqual({
      sub: user.id,
      username: 'alice',
      typ: 'access',
      jti,
      sid: fam,
      iat: 1_000,
      exp: 2_800,
      iss: 'pneumatic-auth',
      aud: 'pneumatic',
    });
  });

  it('builds refresh claims carrying the family id', () => {
    const claims = refreshClaims(user.id, jti, fam, 1_000, policy);
    expect(claims).toMatchObject({ sub: user.id, typ: 'refresh', jti, fam, exp: 605_800 });
    expect(claims).not.toHaveProperty('username');
  });

  it('accepts refresh claims as refresh claims', () => {
    expect(asRefreshClaims(refreshClaims(user.id, jti, fam, 1_000, policy))).toEqual({ sub: user.id, jti, fam });
  });

  it('refuses an access token where a refresh token is expected', () => {
    expect(asRefreshClaims(accessClaims(user, jti, fam, 1_000, policy))).toBeNull();
  });

  it('refuses payloads missing a claim or of another shape', () => {
    expect(asRefreshClaims({ sub: user.id, typ: 'refresh', jti })).toBeNull();
    expect(asRefreshClaims('a string payload')).toBeNull();
  });
});

import jwt from 'jsonwebtoken';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { signingKeyFrom } from './signing-key';
import { TokenIssuer } from './token-issuer';

const policy = { issuer: 'pneumatic-auth', audience: 'pneumatic', accessTtlSeconds: 1800, refreshTtlSeconds: 604800 };
const key = signingKeyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const issuer = new TokenIssuer(key, policy);
const user = { id: randomUUID(), username: 'alice' };

describe('token issuer', () => {
  it('signs ES256 tokens naming their key', () => {
    const { pair, refresh } = issuer.issuePair(user, randomUUID());
    expect(pair.token_type).toBe('bearer');
    const access = jwt.decode(pair.access_token, { complete: true })!;
    expect(access.header).toMatchObject({ alg: 'ES256', kid: key.kid });
    expect(access.payload).toMatchObject({ sub: user.id, username: 'alice', typ: 'access', sid: refresh.familyId, iss: 'pneumatic-auth', aud: 'pneumatic' });
    expect(issuer.verifyRefresh(pair.refresh_token)).toEqual({ sub: user.id, jti: refresh.jti, fam: refresh.familyId });
  });

  it('refuses an access token as a refresh token', () => {
    expect(issuer.verifyRefresh(issuer.issuePair(user, randomUUID()).pair.access_token)).toBeNull();
  });

  it('refuses tokens signed by another key or for another audience', () => {
    const stranger = new TokenIssuer(signingKeyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), policy);
    expect(issuer.verifyRefresh(stranger.issuePair(user, randomUUID()).pair.refresh_token)).toBeNull();
    const elsewhere = new TokenIssuer(key, { ...policy, audience: 'other' });
    expect(issuer.verifyRefresh(elsewhere.issuePair(user, randomUUID()).pair.refresh_token)).toBeNull();
  });

  it('refuses an expired refresh token unless told to allow it', () => {
    const { pair } = issuer.issuePair(user, randomUUID(), Date.now() - 8 * 24 * 3600 * 1000);
    expect(issuer.verifyRefresh(pair.refresh_token)).toBeNull();
    expect(issuer.verifyRefresh(pair.refresh_token, { allowExpired: true })).not.toBeNull();
  });

  it('after a rotation, signs with the new key and still accepts and publishes the retired one', () => {
    const next = signingKeyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const rotated = new TokenIssuer(next, policy, [key]);
    const old = issuer.issuePair(user, randomUUID());
    expect(rotated.verifyRefresh(old.pair.refresh_token)).toEqual({ sub: user.id, jti: old.refresh.jti, fam: old.refresh.familyId });
    expect(jwt.decode(rotated.issuePair(user, randomUUID()).pair.access_token, { complete: true })!.header.kid).toBe(next.kid);
    expect(rotated.jwks().keys.map((k) => k.kid).sort()).toEqual([key.kid, next.kid].sort());
    expect(issuer.verifyRefresh(rotated.issuePair(user, randomUUID()).pair.refresh_token)).toBeNull();
  });

  it('publishes only the public key', () => {
    expect(issuer.jwks()).toEqual({ keys: [key.jwk] });
  });
});

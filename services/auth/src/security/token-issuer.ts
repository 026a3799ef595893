import type { TokenPair } from '@pneumatic/contracts';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { accessClaims, asRefreshClaims, refreshClaims, type RefreshClaims, type TokenPolicy } from '../domain/token-claims';
import type { PublicJwk, SigningKey, VerificationKey } from './signing-key';

/** What must be recorded about a refresh token so it can be rotated or revoked later. */
export interface IssuedRefresh {
  jti: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
}

/**
 * Signs this service's ES256 tokens with the current key, and verifies them with it or with a
 * retired key (by `kid`), so a key rotation leaves tokens already issued valid until they expire.
 */
export class TokenIssuer {
  private readonly verificationKeys: Map<string, VerificationKey>;

  constructor(
    private readonly key: SigningKey,
    private readonly policy: TokenPolicy,
    previousKeys: VerificationKey[] = [],
  ) {
    this.verificationKeys = new Map([...previousKeys, key].map((k) => [k.kid, k]));
  }

  issuePair(user: { id: string; username: string }, familyId: string, nowMs = Date.now()): { pair: TokenPair; refresh: IssuedRefresh } {
    const now = Math.floor(nowMs / 1000);
    const refresh = refreshClaims(user.id, randomUUID(), familyId, now, this.policy);
    return {
      pair: {
        access_token: this.sign(accessClaims(user, randomUUID(), familyId, now, this.policy)),
        refresh_token: this.sign(refresh),
        token_type: 'bearer',
      },
      refresh: { jti: refresh.jti, familyId, userId: user.id, expiresAt: new Date(refresh.exp * 1000) },
    };
  }

  /**
   * The claims of a refresh token this service signed, or null. Logout passes `allowExpired` so
   * a client can still end a session whose token has lapsed.
   */
  verifyRefresh(token: string, { allowExpired = false } = {}): Pick<RefreshClaims, 'sub' | 'jti' | 'fam'> | null {
    const kid = jwt.decode(token, { complete: true })?.header.kid;
    const key = kid ? this.verificationKeys.get(kid) : undefined;
    if (!key) return null;
    try {
      const payload = jwt.verify(token, key.publicKey, {
        algorithms: ['ES256'],
        issuer: this.policy.issuer,
        audience: this.policy.audience,
        ignoreExpiration: allowExpired,
      });
      return asRefreshClaims(payload);
    } catch {
      return null;
    }
  }

  /** How long an access token lives: how long an ended session must stay refused. */
  get accessTtlSeconds(): number {
    return this.policy.accessTtlSeconds;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [...this.verificationKeys.values()].map((k) => k.jwk) };
  }

  private sign(claims: object): string {
    return jwt.sign(claims, this.key.privateKey, { algorithm: 'ES256', keyid: this.key.kid });
  }
}

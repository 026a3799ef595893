import { DomainError, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import jwt from 'jsonwebtoken';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { VerifiedTokens } from '../domain/verified-tokens';

export interface AccessClaims {
  userId: string;
  username: string;
  /** The login session (claim `sid`): logout or refresh-token reuse ends every token of it. */
  sessionId: string;
  /** When the token expires, in ms since the epoch. */
  expiresAt: number;
}

/** Whether a login session has ended (see session-revocations.ts). */
export interface SessionCheck {
  hasEnded(sessionId: string): Promise<boolean>;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
}

/**
 * Verifies access tokens locally with the auth service's public keys, and refuses those of an
 * ended session. Keys are fetched over
 * NATS as a JWKS and cached by kid; an unknown kid refetches (at most once per interval), so
 * auth can rotate keys without restarting gateways.
 */
export class AccessTokenVerifier {
  private keys = new Map<string, KeyObject>();
  private readonly verified = new VerifiedTokens<AccessClaims>();
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;

  constructor(
    private readonly bus: Bus,
    private readonly settings: TokenSettings,
    private readonly sessions: SessionCheck,
    private readonly minRefreshIntervalMs = 5000,
  ) {}

  async verify(token: string | undefined): Promise<AccessClaims> {
    if (!token) throw unauthorized('missing bearer token');
    const claims = this.verified.get(token, Date.now()) ?? (await this.checkSignatureAndClaims(token));
    // Every time, cached or not: a session may end at any moment.
    if (await this.sessions.hasEnded(claims.sessionId)) throw unauthorized('session ended');
    return claims;
  }

  private async checkSignatureAndClaims(token: string): Promise<AccessClaims> {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    if (!decoded || !kid || decoded.header.alg !== 'ES256') throw unauthorized('invalid token');
    const key = await this.keyFor(kid);
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, key, {
        algorithms: ['ES256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
      }) as jwt.JwtPayload;
    } catch (err) {
      throw unauthorized(err instanceof jwt.TokenExpiredError ? 'token expired' : 'invalid token');
    }
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.username !== 'string') {
      throw unauthorized('not an access token');
    }
    // A token without a session could never be ended: tokens from before `sid` existed get a refresh.
    if (typeof claims.sid !== 'string' || typeof claims.exp !== 'number') throw unauthorized('invalid token');
    const access = { userId: claims.sub, username: claims.username, sessionId: claims.sid, expiresAt: claims.exp * 1000 };
    this.verified.remember(token, access);
    return access;
  }

  private async keyFor(kid: string): Promise<KeyObject> {
    if (!this.keys.has(kid) && Date.now() - this.lastRefresh >= this.minRefreshIntervalMs) {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    const key = this.keys.get(kid);
    if (!key) throw unauthorized('invalid token');
    return key;
  }

  private async refresh(): Promise<void> {
    const { keys } = await this.bus.call(contracts.authJwks, {});
    this.lastRefresh = Date.now();
    const withdrawn = [...this.keys.keys()].some((kid) => !keys.some((jwk) => jwk.kid === kid));
    if (withdrawn) this.verified.forgetAll();
    this.keys = new Map(keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  }
}

const unauthorized = (detail: string) => new DomainError('unauthorized', detail);

import { z } from 'zod';

/** Issuer-wide settings every token carries. */
export interface TokenPolicy {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface AccessClaims {
  sub: string;
  username: string;
  typ: 'access';
  jti: string;
  /** The login session (refresh-token family) it belongs to, so ending the session ends the token. */
  sid: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface RefreshClaims {
  sub: string;
  typ: 'refresh';
  jti: string;
  fam: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export function accessClaims(
  user: { id: string; username: string },
  jti: string,
  sessionId: string,
  nowSeconds: number,
  policy: TokenPolicy,
): AccessClaims {
  return {
    sub: user.id,
    username: user.username,
    typ: 'access',
    jti,
    sid: sessionId,
    iat: nowSeconds,
    exp: nowSeconds + policy.accessTtlSeconds,
    iss: policy.issuer,
    aud: policy.audience,
  };
}

export function refreshClaims(userId: string, jti: string, familyId: string, nowSeconds: number, policy: TokenPolicy): RefreshClaims {
  return {
    sub: userId,
    typ: 'refresh',
    jti,
    fam: familyId,
    iat: nowSeconds,
    exp: nowSeconds + policy.refreshTtlSeconds,
    iss: policy.issuer,
    aud: policy.audience,
  };
}

const RefreshPayload = z.object({
  sub: z.uuid(),
  typ: z.literal('refresh'),
  jti: z.uuid(),
  fam: z.uuid(),
});

/**
 * The refresh claims of a verified payload, or null when it is anything else. Both token kinds
 * share one key, so without this check an access token could be swapped in as a refresh token.
 */
export function asRefreshClaims(payload: unknown): Pick<RefreshClaims, 'sub' | 'jti' | 'fam'> | null {
  const parsed = RefreshPayload.safeParse(payload);
  return parsed.success ? { sub: parsed.data.sub, jti: parsed.data.jti, fam: parsed.data.fam } : null;
}

import type { RequestHandler, Response } from 'express';
import type { AccessClaims, AccessTokenVerifier } from '../auth/access-tokens';

export const bearerToken = (header: string | undefined) => (header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);

/** Rejects requests without a valid access token (401 with WWW-Authenticate) and exposes the caller. */
export function authenticate(verifier: AccessTokenVerifier): RequestHandler {
  return async (req, res, next) => {
    res.locals.user = await verifier.verify(bearerToken(req.headers.authorization));
    next();
  };
}

export const callerOf = (res: Response): AccessClaims => res.locals.user as AccessClaims;

import { DomainError, UserRegisteredV1, authSubjects, canonicalUsername, contracts, eventSubjects, type SessionEnded, type User } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { refusalDetail } from '../domain/refresh-rotation';
import { fullNameOf, passwordViolation } from '../domain/registration';
import type { PasswordHasher } from '../security/password-hasher';
import type { TokenIssuer } from '../security/token-issuer';
import type { EndedSession, RefreshTokenStore } from '../store/refresh-token-store';
import type { UserStore } from '../store/user-store';

export const queue = 'auth';

export interface AuthDependencies {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  passwordMinLength: number;
  /** Refused at signup (lower case). */
  commonPasswords: ReadonlySet<string>;
  logger: Logger;
}

// One answer for an unknown user and a wrong password, so replies do not reveal which names exist.
const incorrectCredentials = () => new DomainError('unauthorized', 'Incorrect username or password');
const usernameTaken = () => new DomainError('conflict', 'Username already registered');
const invalidRefreshToken = () => new DomainError('unauthorized', 'invalid or expired refresh token');

const userRegistered = (user: User): z.input<typeof UserRegisteredV1> => ({
  id: randomUUID(),
  type: 'user.registered',
  version: 1,
  time: new Date().toISOString(),
  data: { user },
});

/** Accounts and sessions: signup, login, refresh rotation, logout and the public signing keys. */
export function registerAuthHandlers(bus: Bus, deps: AuthDependencies) {
  const { users, refreshTokens, passwords, tokens, logger } = deps;

  const asNotice = (ended: EndedSession): SessionEnded => ({
    session_id: ended.sessionId,
    user_id: ended.userId,
    reason: ended.reason,
    ended_at: ended.endedAt.toISOString(),
    expires_at: new Date(ended.endedAt.getTime() + tokens.accessTtlSeconds * 1000).toISOString(),
  });
  // Gateways act on the notice at once; one that missed it finds the session in endedSessions.
  const announceEnded = (ended: EndedSession | null) => {
    if (!ended) return;
    bus.publish(authSubjects.sessionEnded, asNotice(ended));
    logger.info({ user_id: ended.userId, session_id: ended.sessionId, reason: ended.reason }, 'session ended');
  };

  const signup = async (body: z.infer<typeof contracts.authSignup.request>) => {
    const canonical = canonicalUsername(body.username);
    if (!canonical) throw new DomainError('validation_error', 'username: may contain only letters, digits, "_", "." and "-" (3..32)');
    const violation = passwordViolation(body.password, deps.passwordMinLength, deps.commonPasswords);
    if (violation) throw new DomainError('validation_error', violation);
    // Checked before hashing so a taken name costs no argon2 work; the insert still decides races.
    if (await users.isTaken(canonical)) throw usernameTaken();
    const user = await users.insert({
      id: randomUUID(),
      username: body.username,
      fullName: fullNameOf(body.full_name),
      passwordHash: await passwords.hash(body.password),
    });
    if (!user) throw usernameTaken();
    bus.publish(eventSubjects.userRegistered, userRegistered(user));
    logger.info({ user_id: user.id }, 'user registered');
    return user;
  };

  const login = async ({ username, password }: z.infer<typeof contracts.authLogin.request>) => {
    // A name with no canonical form can belong to no one, and the rule is public, so answering it
    // at once (no lookup, no argon2) tells nothing about which accounts exist.
    const canonical = canonicalUsername(username);
    if (!canonical) throw incorrectCredentials();
    const found = await users.findCredentials(canonical);
    const matches = await passwords.verify(found?.passwordHash ?? null, password);
    if (!found || !matches) throw incorrectCredentials();
    if (passwords.needsRehash(found.passwordHash)) {
      // The upgrade is a side benefit of knowing the password; failing it must not fail the login.
      await passwords
        .hash(password)
        .then((hash) => users.replacePasswordHash(found.user.id, hash))
        .catch((err: unknown) => logger.warn({ err, user_id: found.user.id }, 'password rehash failed'));
    }
    const { pair, refresh } = tokens.issuePair(found.user, randomUUID());
    await refreshTokens.record(refresh);
    return pair;
  };

  const refresh = async ({ refresh_token }: z.infer<typeof contracts.authRefresh.request>) => {
    const claims = tokens.verifyRefresh(refresh_token);
    if (!claims) throw invalidRefreshToken();
    const rotation = await refreshTokens.rotate(claims.jti, claims.sub, (owner, familyId) => {
      const { pair, refresh: next } = tokens.issuePair(owner, familyId);
      return { result: pair, next };
    });
    if (rotation.verdict === 'rotate') return rotation.issued;
    if (rotation.verdict === 'unknown') throw invalidRefreshToken();
    if (rotation.verdict === 'reuse_detected') {
      logger.warn({ user_id: claims.sub, family_id: claims.fam }, 'refresh token reused; its family is revoked');
      announceEnded(rotation.ended);
    }
    throw new DomainError('unauthorized', refusalDetail[rotation.verdict]);
  };

  const logout = async ({ refresh_token, actor_id }: z.infer<typeof contracts.authLogout.request>) => {
    const claims = tokens.verifyRefresh(refresh_token, { allowExpired: true });
    if (!claims) throw invalidRefreshToken();
    // Someone else's token is ignored rather than refused: logout answers the same either way.
    if (claims.sub === actor_id) announceEnded(await refreshTokens.revokeFamily(claims.fam, actor_id));
    return {};
  };

  const endedSessions = async ({ since, after_session_id, limit }: z.infer<typeof contracts.authEndedSessions.request>) => {
    const page = await refreshTokens.endedSince(new Date(since), after_session_id, limit, tokens.accessTtlSeconds);
    return { sessions: page.sessions.map(asNotice), has_more: page.hasMore, as_of: page.asOf.toISOString() };
  };

  return [
    bus.serve(contracts.authSignup, signup, { queue }),
    bus.serve(contracts.authLogin, login, { queue }),
    bus.serve(contracts.authRefresh, refresh, { queue }),
    bus.serve(contracts.authLogout, logout, { queue }),
    bus.serve(contracts.authJwks, async () => tokens.jwks(), { queue }),
    bus.serve(contracts.authEndedSessions, endedSessions, { queue }),
  ];
}

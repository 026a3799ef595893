import { migrate, type Bus, type Database, type Logger } from '@pneumatic/platform';
import path from 'node:path';
import { commonPasswordsRefused, type AuthConfig } from './config';
import { registerAuthHandlers } from './handlers/auth-handlers';
import { registerUserHandlers } from './handlers/user-handlers';
import { commonPasswords } from './security/common-passwords';
import { PasswordHasher } from './security/password-hasher';
import { loadPreviousKeys, loadSigningKey } from './security/signing-key';
import { TokenIssuer } from './security/token-issuer';
import { WorkQueue } from './security/work-queue';
import { RefreshTokenStore } from './store/refresh-token-store';
import { UserStore } from './store/user-store';

export const authSchema = 'auth';

export interface AuthServiceDeps {
  config: AuthConfig;
  logger: Logger;
  bus: Bus;
  db: Database;
}

/** Migrates auth's schema and answers its RPCs; the same in its own process and embedded. */
export async function startAuthService({ config, logger, bus, db }: AuthServiceDeps) {
  const signingKey = loadSigningKey(config.AUTH_SIGNING_KEY, config.NODE_ENV === 'production', logger);
  const previousKeys = loadPreviousKeys(config.AUTH_PREVIOUS_KEYS);
  const applied = await migrate(db, authSchema, path.join(__dirname, '..', 'migrations'));
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const users = new UserStore(db);
  registerAuthHandlers(bus, {
    users,
    refreshTokens: new RefreshTokenStore(db),
    passwords: new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    }, new WorkQueue(config.ARGON2_CONCURRENCY, config.ARGON2_MAX_WAITING)),
    tokens: new TokenIssuer(signingKey, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    }, previousKeys),
    passwordMinLength: config.PASSWORD_MIN_LENGTH,
    commonPasswords: commonPasswords(commonPasswordsRefused(config)),
    logger,
  });
  registerUserHandlers(bus, users);
  return { kid: signingKey.kid, previousKids: previousKeys.map((k) => k.kid) };
}

// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/dist/telemetry-preload';
import {
  Bus,
  connectDatabase,
  createLogger,
  createMetrics,
  isDatabaseReady,
  migrate,
  portOf,
  runService,
  startAdminServer,
} from '@pneumatic/platform';
import path from 'node:path';
import { loadAuthConfig } from './config';
import { registerAuthHandlers } from './handlers/auth-handlers';
import { registerUserHandlers } from './handlers/user-handlers';
import { PasswordHasher } from './security/password-hasher';
import { loadPreviousKeys, loadSigningKey } from './security/signing-key';
import { TokenIssuer } from './security/token-issuer';
import { RefreshTokenStore } from './store/refresh-token-store';
import { UserStore } from './store/user-store';

const schema = 'auth';

void runService(async (onStop) => {
  const config = loadAuthConfig();
  const logger = createLogger('auth', config.LOG_LEVEL);
  const metrics = createMetrics('auth');
  const signingKey = loadSigningKey(config.AUTH_SIGNING_KEY, config.NODE_ENV === 'production', logger);
  const previousKeys = loadPreviousKeys(config.AUTH_PREVIOUS_KEYS);
  const db = connectDatabase({ url: config.DATABASE_URL, schema, logger });
  onStop(() => db.end());
  const applied = await migrate(db, schema, path.join(__dirname, '..', 'migrations'));
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'auth', logger, metrics });
  onStop(() => bus.close());
  const users = new UserStore(db);
  registerAuthHandlers(bus, {
    users,
    refreshTokens: new RefreshTokenStore(db),
    passwords: new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    }),
    tokens: new TokenIssuer(signingKey, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    }, previousKeys),
    passwordMinLength: config.PASSWORD_MIN_LENGTH,
    logger,
  });
  registerUserHandlers(bus, users);
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin), kid: signingKey.kid, previousKids: previousKeys.map((k) => k.kid) }, 'auth service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

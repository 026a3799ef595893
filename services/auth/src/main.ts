// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import {
  Bus,
  connectDatabase,
  createLogger,
  createMetrics,
  isDatabaseReady,
  portOf,
  runService,
  startAdminServer,
} from '@pneumatic/platform';
import { loadAuthConfig } from './config';
import { authSchema, startAuthService } from './service';

void runService(async (onStop) => {
  const config = loadAuthConfig();
  const logger = createLogger('auth', config.LOG_LEVEL);
  const metrics = createMetrics('auth');
  const db = connectDatabase({ url: config.DATABASE_URL, schema: authSchema, logger });
  onStop(() => db.end());
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'auth', logger, metrics });
  onStop(() => bus.close());
  const keys = await startAuthService({ config, logger, bus, db });
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin), ...keys }, 'auth service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

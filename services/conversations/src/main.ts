// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import {
  Bus,
  EventStream,
  commonEnv,
  databaseEnv,
  eventStreamEnv,
  connectDatabase,
  createLogger,
  createMetrics,
  isDatabaseReady,
  loadConfig,
  portOf,
  runService,
  startAdminServer,
} from '@pneumatic/platform';
import { conversationsSchema, startConversationsService } from './service';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv, ...eventStreamEnv });
  const logger = createLogger('conversations', config.LOG_LEVEL);
  const metrics = createMetrics('conversations');
  const db = connectDatabase({ url: config.DATABASE_URL, schema: conversationsSchema, logger });
  onStop(() => db.end());
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'conversations', logger, metrics });
  onStop(() => bus.close());
  const events = await EventStream.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'conversations', logger, replicas: config.EVENTS_STREAM_REPLICAS });
  onStop(() => events.close());
  await startConversationsService({ logger, bus, db, events }, onStop);
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin) }, 'conversations service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

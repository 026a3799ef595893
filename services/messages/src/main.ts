import {
  Bus,
  commonEnv,
  databaseEnv,
  connectDatabase,
  createLogger,
  createMetrics,
  isDatabaseReady,
  loadConfig,
  migrate,
  portOf,
  runService,
  startAdminServer,
} from '@pneumatic/platform';
import path from 'node:path';
import { registerMessageHandlers } from './handlers/message-handlers';
import { MessageStore } from './store/message-store';

const schema = 'messages';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv });
  const logger = createLogger('messages', config.LOG_LEVEL);
  const metrics = createMetrics('messages');
  const db = connectDatabase({ url: config.DATABASE_URL, schema, logger });
  onStop(() => db.end());
  await migrate(db, schema, path.join(__dirname, '..', 'migrations'), { eventStore: true });
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'messages', logger, metrics });
  onStop(() => bus.close());
  registerMessageHandlers(bus, new MessageStore(db));
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin) }, 'messages service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

import path from 'node:path';
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
import { registerConversationHandlers } from './handlers/conversation-handlers';
import { ConversationStore } from './store/conversation-store';

const schema = 'conversations';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv });
  const logger = createLogger('conversations', config.LOG_LEVEL);
  const metrics = createMetrics('conversations');
  const db = connectDatabase({ url: config.DATABASE_URL, schema, logger });
  onStop(() => db.end());
  const applied = await migrate(db, schema, path.join(__dirname, '..', 'migrations'), { eventStore: true });
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'conversations', logger, metrics });
  onStop(() => bus.close());
  registerConversationHandlers(bus, new ConversationStore(db), logger);
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin) }, 'conversations service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

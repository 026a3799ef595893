// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/dist/telemetry-preload';
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
  startEventRelay,
} from '@pneumatic/platform';
import { registerConversationHandlers } from './handlers/conversation-handlers';
import { startConversationProjections } from './projections/start-projections';
import { withSummaries } from './projections/summary-view';
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
  const publication = await startEventRelay({ db, url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, service: schema, logger });
  onStop(() => publication.stop());
  onStop(startConversationProjections(db, publication.stream, logger));
  registerConversationHandlers(bus, new ConversationStore(db), logger, (reader, views) => withSummaries(db, reader, views));
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin) }, 'conversations service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/dist/telemetry-preload';
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
import path from 'node:path';
import { z } from 'zod';
import { registerMessageHandlers } from './handlers/message-handlers';
import { GroupCommit } from './store/group-commit';
import { MessageStore } from './store/message-store';

const schema = 'messages';

const groupCommitEnv = {
  MESSAGES_GROUP_COMMIT: z.enum(['on', 'off']).default('on'),
  MESSAGES_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(100),
  MESSAGES_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(2),
  MESSAGES_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(2000),
};

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv, ...groupCommitEnv });
  const logger = createLogger('messages', config.LOG_LEVEL);
  const metrics = createMetrics('messages');
  const db = connectDatabase({ url: config.DATABASE_URL, schema, logger });
  onStop(() => db.end());
  await migrate(db, schema, path.join(__dirname, '..', 'migrations'), { eventStore: true });
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'messages', logger, metrics });
  onStop(() => bus.close());
  const publication = await startEventRelay({ db, url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, service: schema, logger });
  onStop(() => publication.stop());
  const store = new MessageStore(db);
  const groupCommit = new GroupCommit(
    store,
    { maxBatch: config.MESSAGES_BATCH_MAX, windowMs: config.MESSAGES_BATCH_WINDOW_MS, maxQueued: config.MESSAGES_QUEUE_MAX },
    logger,
  );
  const appendMessage = config.MESSAGES_GROUP_COMMIT === 'on' ? groupCommit.append.bind(groupCommit) : store.appendMessage.bind(store);
  registerMessageHandlers({ bus, store, appendMessage, logger });
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin), groupCommit: config.MESSAGES_GROUP_COMMIT }, 'messages service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

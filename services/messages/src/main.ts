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
import { groupCommitEnv, messageBoundsEnv, partitionLeaseEnv } from './config';
import { messagesSchema, startMessagesService } from './service';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv, ...eventStreamEnv, ...groupCommitEnv, ...messageBoundsEnv, ...partitionLeaseEnv });
  const logger = createLogger('messages', config.LOG_LEVEL);
  const metrics = createMetrics('messages');
  const db = connectDatabase({ url: config.DATABASE_URL, schema: messagesSchema, logger });
  onStop(() => db.end());
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'messages', logger, metrics });
  onStop(() => bus.close());
  const events = await EventStream.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'messages', logger, replicas: config.EVENTS_STREAM_REPLICAS });
  onStop(() => events.close());
  const leasing = { partitions: config.MESSAGES_PARTITIONS, checkMs: config.MESSAGES_PARTITION_CHECK_MS, deployment: config.NATS_SUBJECT_PREFIX };
  await startMessagesService({ config, logger, bus, db, events, metrics, leasing }, onStop);
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, postgres: () => isDatabaseReady(db) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin), groupCommit: config.MESSAGES_GROUP_COMMIT }, 'messages service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

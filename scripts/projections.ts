/**
 * `npm run projections -- rebuild <name>` drops a read model and rebuilds it from the events;
 * `npm run projections -- verify history` replays into a scratch table and reports differences.
 * Safe while the services run: history is rebuilt in one locking transaction, summaries and the
 * user directory are reset with their checkpoint and replayed from JetStream next to the live
 * runner; the directory is then backfilled from auth's users.list (users older than the stream).
 */
import {
  Bus,
  ConfigError,
  EventStream,
  catchUpProjection,
  commonEnv,
  connectDatabase,
  createLogger,
  createMetrics,
  databaseEnv,
  loadConfig,
  migrate,
  resetProjection,
} from '@pneumatic/platform';
import { conversationSummaries } from '@pneumatic/conversations/projections';
import { backfillUserDirectory, compareHistory, rebuildHistory, userDirectory } from '@pneumatic/messages/projections';
import path from 'node:path';

const usage = 'usage: npm run projections -- rebuild <history|conversation_summaries|user_directory> | verify history';

async function main([command, name]: string[]): Promise<string> {
  const config = loadConfig({ ...commonEnv, ...databaseEnv });
  const logger = createLogger('projections', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const schema = name === 'history' || name === 'user_directory' ? 'messages' : 'conversations';
  const db = connectDatabase({ url: config.DATABASE_URL, schema, logger, maxConnections: 2 });
  try {
    await migrate(db, schema, path.resolve(__dirname, '..', '..', 'services', schema, 'migrations'), { eventStore: true });
    if (name === 'history' && command === 'verify') {
      const { events, differences } = await compareHistory(db);
      if (differences > 0) process.exitCode = 1;
      return `history: ${events} events replayed, ${differences} rows differ from the live table`;
    }
    if (name === 'history' && command === 'rebuild') return `history: rebuilt from ${await rebuildHistory(db)} events`;
    if (name === 'conversation_summaries' && command === 'rebuild') {
      const stream = await EventStream.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'projections', logger });
      try {
        const projection = conversationSummaries(logger);
        await resetProjection(db, projection);
        return `conversation_summaries: rebuilt from ${await catchUpProjection({ db, stream, projection, logger })} events`;
      } finally {
        await stream.close();
      }
    }
    if (name === 'user_directory' && command === 'rebuild') {
      const stream = await EventStream.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'projections', logger });
      const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'projections', logger, metrics: createMetrics('projections') });
      try {
        const projection = userDirectory(logger);
        await resetProjection(db, projection);
        const events = await catchUpProjection({ db, stream, projection, logger });
        // Always: the stream may have begun after the first signups, and the upserts are idempotent.
        return `user_directory: rebuilt from ${events} events and ${await backfillUserDirectory(db, bus)} users listed by auth`;
      } finally {
        await bus.close();
        await stream.close();
      }
    }
    process.exitCode = 2;
    return usage;
  } finally {
    await db.end();
  }
}

main(process.argv.slice(2)).then(
  (result) => console.log(result),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);

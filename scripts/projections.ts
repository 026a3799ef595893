/**
 * `npm run projections -- rebuild <name>` drops a read model and rebuilds it from the events;
 * `npm run projections -- verify history` replays into a scratch table and reports differences.
 * Safe while the services run: history is rebuilt in one locking transaction, summaries are reset
 * with their checkpoint and replayed from JetStream next to the live runner.
 */
import {
  ConfigError,
  EventStream,
  catchUpProjection,
  commonEnv,
  connectDatabase,
  createLogger,
  databaseEnv,
  loadConfig,
  migrate,
  resetProjection,
} from '@pneumatic/platform';
import { conversationSummaries } from '@pneumatic/conversations/dist/projections/conversation-summaries';
import { compareHistory, rebuildHistory } from '@pneumatic/messages/dist/projections/history-rebuild';
import path from 'node:path';

const usage = 'usage: npm run projections -- rebuild <history|conversation_summaries> | verify history';

async function main([command, name]: string[]): Promise<string> {
  const config = loadConfig({ ...commonEnv, ...databaseEnv });
  const logger = createLogger('projections', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const schema = name === 'history' ? 'messages' : 'conversations';
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

/**
 * `npm run export:replay -- --from <stream sequence> [--source messages]`: sets the export of every
 * source (or one) back so that it re-exports from that JetStream sequence on (1: everything). The
 * running exporter notices within a second and starts over there; without one, the next start does.
 * It never moves a checkpoint forward, so a replay cannot skip events.
 */
import { ConfigError, commonEnv, connectDatabase, createLogger, databaseEnv, loadConfig, migrate } from '@pneumatic/platform';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exporterEnv } from './config';
import { exporterSchema } from './service';
import { replayFrom } from './store/export-checkpoints';

const usage = 'usage: npm run export:replay -- --from <stream sequence, 1 = everything> [--source <source>]';

async function main(args: string[]): Promise<string> {
  const { values } = parseArgs({ args, options: { from: { type: 'string' }, source: { type: 'string' } } });
  const from = Number(values.from);
  if (!Number.isInteger(from) || from < 1) {
    process.exitCode = 2;
    return usage;
  }
  const config = loadConfig({ ...commonEnv, ...databaseEnv, ...exporterEnv });
  const sources = values.source ? [values.source] : config.KAFKA_EXPORT_SOURCES;
  const logger = createLogger('export-replay', 'warn');
  const db = connectDatabase({ url: config.DATABASE_URL, schema: exporterSchema, logger, maxConnections: 1 });
  try {
    await migrate(db, exporterSchema, path.join(__dirname, '..', 'migrations'));
    const moved = await replayFrom(db, sources, from);
    return moved.map((m) => `${m.source}: exported up to ${m.before}, re-exporting from ${m.after + 1}`).join('\n');
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

import { migrate, type Database, type EventStream, type Logger, type OnStop } from '@pneumatic/platform';
import path from 'node:path';
import type { ExporterConfig } from './config';
import { SourceExport, type RecordSink } from './export/source-export';

export const exporterSchema = 'exporter';

export interface ExporterDeps {
  config: ExporterConfig;
  logger: Logger;
  db: Database;
  stream: EventStream;
  sink: RecordSink;
}

/** Migrates and starts one export per source; each runs on the replica that holds its lock. */
export async function startExporter({ config, logger, db, stream, sink }: ExporterDeps, onStop: OnStop): Promise<void> {
  const applied = await migrate(db, exporterSchema, path.join(__dirname, '..', 'migrations'));
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  for (const source of config.KAFKA_EXPORT_SOURCES) {
    const exporter = new SourceExport({ db, stream, sink, source, logger, batchSize: config.KAFKA_BATCH_SIZE, lingerMs: config.KAFKA_LINGER_MS });
    exporter.start();
    onStop(() => exporter.stop());
  }
}

// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import {
  EventStream,
  commonEnv,
  connectDatabase,
  createLogger,
  createMetrics,
  databaseEnv,
  eventStreamEnv,
  isDatabaseReady,
  loadConfig,
  portOf,
  runService,
  startAdminServer,
  type ReadinessChecks,
} from '@pneumatic/platform';
import { exporterEnv } from './config';
import { connectKafkaSink } from './export/kafka-sink';
import { exportLag, exportedRecords } from './export/source-export';
import { exporterSchema, startExporter } from './service';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...databaseEnv, ...eventStreamEnv, ...exporterEnv });
  const logger = createLogger('exporter', config.LOG_LEVEL);
  const metrics = createMetrics('exporter');
  metrics.registry.registerMetric(exportLag);
  metrics.registry.registerMetric(exportedRecords);
  let checks: ReadinessChecks = {};
  if (config.KAFKA_BROKERS.length === 0) {
    // Off: healthy and ready, doing nothing, so a deployment may run it before it has a broker.
    logger.info('KAFKA_BROKERS is not set: the Kafka export is off');
  } else {
    const db = connectDatabase({ url: config.DATABASE_URL, schema: exporterSchema, logger, maxConnections: config.KAFKA_EXPORT_SOURCES.length + 2 });
    onStop(() => db.end());
    const stream = await EventStream.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'exporter', logger, replicas: config.EVENTS_STREAM_REPLICAS });
    onStop(() => stream.close());
    const sink = connectKafkaSink(config, logger);
    onStop(() => sink.close());
    await startExporter({ config, logger, db, stream, sink }, onStop);
    checks = { nats: () => stream.connected, postgres: () => isDatabaseReady(db), kafka: () => sink.brokerAnswers() };
  }
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, checks);
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin), brokers: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC }, 'exporter service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

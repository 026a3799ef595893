import { ConfigError, type Logger } from '@pneumatic/platform';
import { Kafka, Partitioners, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { ExporterConfig } from '../config';
import type { RecordSink } from './source-export';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs's client settings from the environment; kafkajs logs go through pino. */
function kafkaClientConfig(config: ExporterConfig, logger: Logger): KafkaConfig {
  return {
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL ? { ca: config.KAFKA_SSL_CA ? [config.KAFKA_SSL_CA] : undefined, rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED } : false,
    sasl: saslOptions(config),
    requestTimeout: config.KAFKA_REQUEST_TIMEOUT_MS,
    connectionTimeout: Math.min(config.KAFKA_REQUEST_TIMEOUT_MS, 10_000),
    // A few quick retries inside kafkajs; the exporter itself retries a batch for as long as it takes.
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      logger[levels[entry.level] ?? 'info']({ kafka: entry.namespace, ...fields }, message);
    },
  };
}

function saslOptions(config: ExporterConfig): SASLOptions | undefined {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  if (!mechanism) return undefined;
  if (!username || !password) throw new ConfigError('invalid configuration:\n  KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  return { mechanism, username, password } as SASLOptions;
}

export interface KafkaSink extends RecordSink {
  /** Whether a broker answers a metadata request within two seconds (the exporter's /ready). */
  brokerAnswers(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A kafkajs producer sending each batch in one call with acks from all in-sync replicas. Not the
 * idempotent producer: kafkajs marks it experimental (and librdkafka's mock broker, the tests'
 * broker, rejects it); repeats are bounded by the checkpoint instead and carry the event id.
 */
export function connectKafkaSink(config: ExporterConfig, logger: Logger): KafkaSink {
  const kafka = new Kafka(kafkaClientConfig(config, logger));
  // One request in flight: a retried request cannot overtake a later one, so per-key order holds.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  const connect = () => (connected ??= producer.connect().catch((err) => ((connected = undefined), Promise.reject(err))));
  return {
    async send(records) {
      await connect();
      await producer.send({ topic: config.KAFKA_TOPIC, acks: -1, timeout: config.KAFKA_REQUEST_TIMEOUT_MS, messages: records });
    },
    async brokerAnswers() {
      const probe = admin.connect().then(() => admin.describeCluster()).then((cluster) => cluster.brokers.length > 0);
      const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref());
      return Promise.race([probe.catch(() => false), timeout]);
    },
    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

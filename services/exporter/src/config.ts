import { z } from 'zod';

const list = z
  .string()
  .optional()
  .transform((text) => (text ?? '').split(',').map((item) => item.trim()).filter(Boolean));

/** Compose passes an optional setting as `${NAME:-}`, an empty string: that means unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * The Kafka export. It is off unless KAFKA_BROKERS names at least one broker; everything else has
 * a default. SASL needs all three of its variables (checked when the client is built).
 */
export const exporterEnv = {
  KAFKA_BROKERS: list,
  KAFKA_CLIENT_ID: z.string().min(1).default('pneumatic-exporter'),
  KAFKA_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name').default('pneumatic.events'),
  /** Source services whose events are exported, each a unit of work one replica holds: `events.<source>.>`. */
  KAFKA_EXPORT_SOURCES: list.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).min(1)).default(['conversations', 'messages', 'user']),
  KAFKA_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(5_000).default(5),
  KAFKA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  KAFKA_SSL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** PEM of the CA that signed the brokers' certificates, when not a public one. */
  KAFKA_SSL_CA: unsetWhenEmpty(z.string()),
  KAFKA_SSL_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  KAFKA_SASL_MECHANISM: unsetWhenEmpty(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'])),
  KAFKA_SASL_USERNAME: unsetWhenEmpty(z.string()),
  KAFKA_SASL_PASSWORD: unsetWhenEmpty(z.string()),
};

export type ExporterConfig = z.infer<z.ZodObject<typeof exporterEnv>>;

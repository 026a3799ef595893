import { defaultMessagesPartitions } from '@pneumatic/contracts';
import { z } from 'zod';

/** Settings every service reads; each service extends this with its own. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** One server, or several of one cluster comma-separated (see `natsServers`). */
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-" only').default('pneumatic'),
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};

/**
 * NATS_URL as nats.js wants it: a list. Given one string, nats.js takes it as a single address, so
 * `nats://a:4222,nats://b:4222` must be split here; the client then reconnects to whichever lives.
 */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((server) => server.trim())
    .filter(Boolean);
}

/**
 * In the configuration of every service that creates or updates the events stream (conversations,
 * messages, the exporter), which passes it to `EventStream.connect`. Unset, a new stream gets 1
 * replica and an existing one keeps its count, so a process started without it never scales a
 * clustered stream down.
 */
export const eventStreamEnv = {
  EVENTS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).optional(),
};

/**
 * How many partitions conversations' sends are spread over: gateways route by it and messages
 * replicas lease by it, so both must be given the same (docs/scale-out.md, Messages replicas).
 */
export const messagesPartitionsEnv = {
  MESSAGES_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(defaultMessagesPartitions),
};

export const databaseEnv = {
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/pneumatic'),
};

export const redisEnv = {
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('pneumatic:'),
};

export class ConfigError extends Error {}

/**
 * Parses the environment once at start-up. Every bad or missing variable is named in one
 * message, so an operator fixes them all in one go instead of one per restart.
 */
export function loadConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env) {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

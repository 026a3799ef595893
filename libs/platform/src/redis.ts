import Redis from 'ioredis';
import type { Logger } from './logger';

export type { Redis } from 'ioredis';

/**
 * The Redis adapter: every key carries the deployment's prefix; commands fail fast while Redis is
 * down rather than queueing. Resolves once connected, or after `waitMs` with Redis still
 * reconnecting in the background, so a service can start (degraded) without it.
 */
export async function connectRedis(url: string, keyPrefix: string, logger: Logger, waitMs = 3000): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let healthy = true;
  redis.on('error', (err) => {
    if (healthy) logger.warn({ err: err.message }, 'redis unavailable');
    healthy = false;
  });
  redis.on('ready', () => {
    if (!healthy) logger.info('redis available again');
    healthy = true;
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    redis.once('ready', () => (clearTimeout(timer), resolve()));
  });
  return redis;
}

export async function isRedisReady(redis: Redis): Promise<boolean> {
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}

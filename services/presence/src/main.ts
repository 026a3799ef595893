// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import {
  Bus,
  commonEnv,
  redisEnv,
  connectRedis,
  createLogger,
  createMetrics,
  isRedisReady,
  loadConfig,
  runService,
  portOf,
  startAdminServer,
} from '@pneumatic/platform';
import { presenceEnv } from './config';
import { startPresenceService } from './service';
import { PresenceStore } from './store/presence-store';

void runService(async (onStop) => {
  const config = loadConfig({ ...commonEnv, ...redisEnv, ...presenceEnv });
  const logger = createLogger('presence', config.LOG_LEVEL);
  const metrics = createMetrics('presence');
  const redis = await connectRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger);
  onStop(() => redis.quit());
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: 'presence', logger, metrics });
  onStop(() => bus.close());
  const store = new PresenceStore(redis, { ttlSeconds: config.PRESENCE_TTL_SECONDS, graceSeconds: config.PRESENCE_GRACE_SECONDS });
  startPresenceService({ config, logger, bus, store }, onStop);
  const admin = await startAdminServer(config.ADMIN_PORT, metrics, { nats: () => bus.connected, redis: () => isRedisReady(redis) });
  onStop(() => new Promise((resolve) => admin.close(resolve)));
  logger.info({ adminPort: portOf(admin) }, 'presence service started');
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

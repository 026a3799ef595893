// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import { Bus, connectRedis, createLogger, createMetrics, runService } from '@pneumatic/platform';
import { redisRateCounter } from './http/rate-limits';
import { redisSocketSlots } from './realtime/socket-slots';
import { loadGatewayConfig, startGatewayService } from './service';

void runService(async (onStop) => {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL).child({ gateway: config.GATEWAY_ID });
  const metrics = createMetrics('gateway');
  const bus = await Bus.connect({
    url: config.NATS_URL,
    prefix: config.NATS_SUBJECT_PREFIX,
    name: `gateway-${config.GATEWAY_ID}`,
    logger,
    metrics,
    // Each conversation's sends and read receipts go to the messages replica leasing its partition.
    partitions: config.MESSAGES_PARTITIONS,
  });
  onStop(() => bus.close());
  // Rate limits and the socket cap only: the gateway starts and serves without Redis, unlimited, rather than refusing chat.
  const redis = await connectRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger);
  onStop(() => void redis.disconnect());
  const port = await startGatewayService(
    { config, logger, metrics, bus, rateCounter: redisRateCounter(redis), socketSlots: redisSocketSlots(redis), readiness: { nats: () => bus.connected } },
    onStop,
  );
  logger.info({ port }, `gateway listening on http://localhost:${port}`);
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/dist/telemetry-preload';
import { Bus, connectRedis, createLogger, createMetrics, loadConfig, runService } from '@pneumatic/platform';
import { createServer } from 'node:http';
import { AccessTokenVerifier } from './auth/access-tokens';
import { gatewayEnv } from './config';
import { ConnectionRegistry } from './domain/connection-registry';
import { MemberDirectory } from './domain/member-directory';
import { createApp } from './http/app';
import { RateLimiter } from './http/rate-limits';
import { Fanout } from './realtime/fanout';
import { createGatewayMetrics } from './realtime/gateway-metrics';
import { PresenceReporter } from './realtime/presence-reporter';
import { TypingRelay } from './realtime/typing-relay';
import { RealtimeServer } from './realtime/websocket-server';

void runService(async (onStop) => {
  const config = loadConfig(gatewayEnv);
  const logger = createLogger('gateway', config.LOG_LEVEL).child({ gateway: config.GATEWAY_ID });
  const metrics = createMetrics('gateway');
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: `gateway-${config.GATEWAY_ID}`, logger, metrics });
  onStop(() => bus.close());

  // Rate limits only: the gateway starts and serves without Redis, unlimited, rather than refusing chat.
  const redis = await connectRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger);
  onStop(() => void redis.disconnect());
  const rateLimiter = new RateLimiter(redis, {
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    perIp: config.RATE_LIMIT_PER_IP,
    perUser: config.RATE_LIMIT_PER_USER,
    loginAttempts: config.RATE_LIMIT_LOGIN_ATTEMPTS,
    loginWindowSeconds: config.RATE_LIMIT_LOGIN_WINDOW_SECONDS,
  }, logger);

  const verifier = new AccessTokenVerifier(bus, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const registry = new ConnectionRegistry();
  const directory = new MemberDirectory();
  const fanout = new Fanout(bus, registry, directory, logger);
  fanout.start();
  onStop(() => fanout.stop());
  const presence = new PresenceReporter(bus, registry, config.GATEWAY_ID);
  presence.start(config.PRESENCE_HEARTBEAT_SECONDS * 1000);
  onStop(() => presence.stop());

  const app = createApp({
    bus,
    verifier,
    logger,
    metrics,
    readiness: { nats: () => bus.connected },
    allowedOrigins: config.ALLOWED_ORIGINS,
    rateLimiter,
  });
  const server = createServer(app);
  const realtime = new RealtimeServer({
    bus,
    verifier,
    registry,
    fanout,
    presence,
    logger,
    metrics: createGatewayMetrics(metrics),
    allowedOrigins: config.ALLOWED_ORIGINS,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    maxQueuedFrames: config.WS_MAX_QUEUED_FRAMES,
    pingIntervalMs: config.WS_PING_INTERVAL_SECONDS * 1000,
    directory,
    typing: new TypingRelay(bus, config.WS_TYPING_EXPIRY_SECONDS * 1000),
    framesPerSecond: config.WS_FRAMES_PER_SECOND,
    frameBurst: config.WS_FRAME_BURST,
    drainMs: config.WS_DRAIN_SECONDS * 1000,
  });
  realtime.attach(server);
  await new Promise<void>((resolve) => server.listen(config.PORT, '0.0.0.0', resolve));
  onStop(() => new Promise((resolve) => server.close(resolve)));
  onStop(() => realtime.drain());
  logger.info({ port: config.PORT }, `gateway listening on http://localhost:${config.PORT}`);
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

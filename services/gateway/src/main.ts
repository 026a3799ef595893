import { Bus, createLogger, createMetrics, loadConfig, runService } from '@pneumatic/platform';
import { createServer } from 'node:http';
import { AccessTokenVerifier } from './auth/access-tokens';
import { gatewayEnv } from './config';
import { ConnectionRegistry } from './domain/connection-registry';
import { createApp } from './http/app';
import { Fanout } from './realtime/fanout';
import { createGatewayMetrics } from './realtime/gateway-metrics';
import { PresenceReporter } from './realtime/presence-reporter';
import { RealtimeServer } from './realtime/websocket-server';

void runService(async (onStop) => {
  const config = loadConfig(gatewayEnv);
  const logger = createLogger('gateway', config.LOG_LEVEL).child({ gateway: config.GATEWAY_ID });
  const metrics = createMetrics('gateway');
  const bus = await Bus.connect({ url: config.NATS_URL, prefix: config.NATS_SUBJECT_PREFIX, name: `gateway-${config.GATEWAY_ID}`, logger, metrics });
  onStop(() => bus.close());

  const verifier = new AccessTokenVerifier(bus, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const registry = new ConnectionRegistry();
  const fanout = new Fanout(bus, registry, logger);
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
  });
  realtime.attach(server);
  await new Promise<void>((resolve) => server.listen(config.PORT, '0.0.0.0', resolve));
  onStop(() => new Promise((resolve) => server.close(resolve)));
  onStop(() => realtime.closeAll());
  logger.info({ port: config.PORT }, `gateway listening on http://localhost:${config.PORT}`);
  return { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
});

import { loadConfig, type Bus, type Logger, type Metrics, type OnStop, type ReadinessChecks } from '@pneumatic/platform';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessTokenVerifier } from './auth/access-tokens';
import { SessionRevocations } from './auth/session-revocations';
import { gatewayEnv } from './config';
import { ConnectionRegistry } from './domain/connection-registry';
import { FrameBudgets } from './domain/frame-budgets';
import { MemberDirectory } from './domain/member-directory';
import { createApp } from './http/app';
import { RateLimiter, type RateCounter } from './http/rate-limits';
import { SecurityEvents } from './http/security-events';
import { Fanout } from './realtime/fanout';
import { createGatewayMetrics } from './realtime/gateway-metrics';
import { PresenceReporter } from './realtime/presence-reporter';
import { SocketCap } from './realtime/socket-cap';
import { InMemorySocketSlots, type SocketSlots } from './realtime/socket-slots';
import { TypingRelay } from './realtime/typing-relay';
import { UpgradeLimiter } from './realtime/upgrade-limits';
import { RealtimeServer } from './realtime/websocket-server';

/**
 * Connections the kernel queues until the gateway accepts them (capped by net.core.somaxconn).
 * Node's 511 overflows when another gateway drains thousands of clients onto this one: a dropped
 * SYN costs its client 1 s, then 3 s, 7 s, ... of retransmits, where a queued one waits its turn.
 */
const listenBacklog = 4096;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(gatewayEnv, env);
type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export interface GatewayServiceDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  bus: Bus;
  /** Redis's counters across replicas, or in-memory ones embedded. */
  rateCounter: RateCounter;
  /** Open sockets per user: Redis's across replicas; by default this process's own (embedded: the only gateway). */
  socketSlots?: SocketSlots;
  readiness: ReadinessChecks;
}

/** Serves HTTP and WebSockets on PORT; resolves with the port once listening. */
export async function startGatewayService(
  { config, logger, metrics, bus, rateCounter, socketSlots = new InMemorySocketSlots(), readiness }: GatewayServiceDeps,
  onStop: OnStop,
): Promise<number> {
  const rateLimiter = new RateLimiter(rateCounter, {
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    perIp: config.RATE_LIMIT_PER_IP,
    perUser: config.RATE_LIMIT_PER_USER,
    loginAttempts: config.RATE_LIMIT_LOGIN_ATTEMPTS,
    loginWindowSeconds: config.RATE_LIMIT_LOGIN_WINDOW_SECONDS,
    loginFailuresPerIp: config.RATE_LIMIT_LOGIN_FAILURES_PER_IP,
    loginsInFlightPerIp: config.RATE_LIMIT_LOGINS_IN_FLIGHT_PER_IP,
    loginsWaitingPerIp: config.RATE_LIMIT_LOGINS_WAITING_PER_IP,
  }, logger);

  const sessions = new SessionRevocations(bus, logger, config.SESSION_POLL_SECONDS * 1000);
  sessions.start();
  onStop(() => sessions.stop());
  const verifier = new AccessTokenVerifier(bus, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }, sessions);
  const registry = new ConnectionRegistry();
  const directory = new MemberDirectory();
  const gatewayMetrics = createGatewayMetrics(metrics);
  const fanout = new Fanout(bus, registry, directory, logger, gatewayMetrics.realtimeReceived, config.WS_FOLLOW_PAGE_SIZE);
  fanout.start();
  onStop(() => fanout.stop());
  const presence = new PresenceReporter(bus, registry, config.GATEWAY_ID);
  presence.start(config.PRESENCE_HEARTBEAT_SECONDS * 1000);
  onStop(() => presence.stop());
  const socketCap = new SocketCap(socketSlots, registry, { maxPerUser: config.WS_MAX_SOCKETS_PER_USER, leaseMs: config.WS_SOCKET_LEASE_SECONDS * 1000 }, logger);
  socketCap.start();
  onStop(() => socketCap.stop());
  const upgradeLimits = new UpgradeLimiter(rateCounter, {
    windowSeconds: config.WS_UPGRADE_WINDOW_SECONDS,
    perAddress: config.WS_UPGRADES_PER_IP,
    perUser: config.WS_UPGRADES_PER_USER,
  }, logger);

  const trustedProxies = config.TRUSTED_PROXIES;
  const securityEvents = new SecurityEvents(logger, metrics);
  const realtime = new RealtimeServer({
    bus,
    verifier,
    sessions,
    registry,
    fanout,
    presence,
    logger,
    metrics: gatewayMetrics,
    allowedOrigins: config.ALLOWED_ORIGINS,
    trustedProxies,
    securityEvents,
    upgradeLimits,
    socketCap,
    // A flood is reported once a minute per user: a security event per refused frame would flood the log.
    frameBudgets: new FrameBudgets(config.WS_FRAMES_PER_SECOND, config.WS_FRAME_BURST, 60_000),
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    maxQueuedFrames: config.WS_MAX_QUEUED_FRAMES,
    maxFrameWaitMs: config.WS_MAX_FRAME_WAIT_MS,
    syncPageIntervalMs: config.WS_SYNC_PAGE_INTERVAL_MS,
    pingIntervalMs: config.WS_PING_INTERVAL_SECONDS * 1000,
    directory,
    typing: new TypingRelay(bus, config.WS_TYPING_EXPIRY_SECONDS * 1000),
    drain: { closesPerSecond: config.WS_DRAIN_CLOSES_PER_SECOND, windowMs: config.WS_DRAIN_SECONDS * 1000 },
  });
  // A draining gateway answers /ready 503, so a load balancer sends its clients' reconnects elsewhere.
  const checks = { ...readiness, accepting_sockets: () => realtime.accepting };
  const app = createApp({ bus, verifier, logger, metrics, readiness: checks, allowedOrigins: config.ALLOWED_ORIGINS, trustedProxies, securityEvents, rateLimiter });
  const server = createServer(app);
  realtime.attach(server);
  sessions.onEnded((ended) => realtime.endSession(ended));
  await new Promise<void>((resolve) => server.listen({ port: config.PORT, host: '0.0.0.0', backlog: listenBacklog }, resolve));
  onStop(() => new Promise((resolve) => server.close(resolve)));
  onStop(() => realtime.drain());
  return (server.address() as AddressInfo).port;
}

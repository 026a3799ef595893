/**
 * `npm start`: all five services in this one process. With no infrastructure configured they run
 * embedded: PGlite (Postgres in WebAssembly) under `.data/pglite`, an in-process NATS broker and
 * events stream, in-memory presence and rate limits. With DATABASE_URL, NATS_URL and REDIS_URL all
 * set, the same five run in this process against those servers instead. Same service code and
 * migrations as the distributed mode either way; only the adapters differ.
 */
// First: instrumentation must be in place before http and pg are loaded.
import '@pneumatic/platform/telemetry-preload';
import { authSchema, loadAuthConfig, startAuthService } from '@pneumatic/auth';
import { conversationsSchema, startConversationsService } from '@pneumatic/conversations';
import { loadGatewayConfig, redisRateCounter, startGatewayService, type RateCounter } from '@pneumatic/gateway';
import { InMemoryRateCounter } from '@pneumatic/gateway/embedded';
import { groupCommitEnv, messageBoundsEnv, messagesSchema, startMessagesService } from '@pneumatic/messages';
import { PresenceStore, presenceEnv, startPresenceService, type PresenceLeases, type PresenceTimings } from '@pneumatic/presence';
import { InMemoryPresenceStore } from '@pneumatic/presence/embedded';
import {
  Bus,
  EventStream,
  InMemoryEventStream,
  InProcessNats,
  PgliteHost,
  commonEnv,
  connectDatabase,
  connectRedis,
  createLogger,
  createMetrics,
  ensureDatabase,
  isDatabaseReady,
  loadConfig,
  runService,
  type Database,
  type EventLog,
  type Logger,
  type Metrics,
  type OnStop,
} from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { devSigningKey } from './dev-signing-key';

const root = path.resolve(__dirname, '..', '..');

/** The adapters the services are started with: in-process ones, or clients of real servers. */
interface Infrastructure {
  mode: 'embedded' | 'external';
  bus(name: string): Promise<Bus>;
  database(schema: string): Database;
  events: EventLog;
  /** Whether the events stream began empty, so relays republish and projections rebuild. */
  replayEvents: boolean;
  presence(timings: PresenceTimings): PresenceLeases;
  rateCounter: RateCounter;
}


async function embedded(dataDir: string, prefix: string, logger: Logger, metrics: Metrics, onStop: OnStop): Promise<Infrastructure> {
  const host = await PgliteHost.open(path.join(dataDir, 'pglite'));
  onStop(() => host.close());
  const broker = new InProcessNats();
  const events = new InMemoryEventStream({ logger });
  onStop(() => events.close());
  // As the JetStream stream does, capture core publishes on events.> (auth's user.registered).
  const capture = broker.connect();
  capture.subscribe(`${prefix}.events.>`, {
    callback: (_err, msg) => void events.publish(msg.subject.slice(prefix.length + 1), msg.data, randomUUID()),
  });
  onStop(() => capture.drain());
  return {
    mode: 'embedded',
    bus: async (name) => Bus.over(broker.connect(), { prefix, name, logger, metrics }),
    database: (schema) => host.database(schema),
    events,
    replayEvents: true,
    presence: (timings) => new InMemoryPresenceStore(timings),
    rateCounter: new InMemoryRateCounter(),
  };
}

async function external(urls: { database: string; nats: string; redis: string }, prefix: string, logger: Logger, metrics: Metrics, onStop: OnStop): Promise<Infrastructure> {
  await ensureDatabase(urls.database);
  const events = await EventStream.connect({ url: urls.nats, prefix, name: 'pneumatic', logger });
  onStop(() => events.close());
  const redis = await connectRedis(urls.redis, process.env.REDIS_KEY_PREFIX ?? 'pneumatic:', logger);
  onStop(() => redis.quit());
  return {
    mode: 'external',
    bus: (name) => Bus.connect({ url: urls.nats, prefix, name, logger, metrics }),
    database: (schema) => connectDatabase({ url: urls.database, schema, logger }),
    events,
    replayEvents: false,
    presence: (timings) => new PresenceStore(redis, timings),
    rateCounter: redisRateCounter(redis),
  };
}

void runService(async (onStop) => {
  const common = loadConfig(commonEnv);
  const dataDir = path.resolve(process.env.PNEUMATIC_DATA_DIR ?? path.join(root, '.data'));
  process.env.AUTH_SIGNING_KEY = devSigningKey(dataDir);
  const logger = createLogger('pneumatic', common.LOG_LEVEL);
  const metrics = createMetrics('pneumatic');
  const { DATABASE_URL, NATS_URL, REDIS_URL } = process.env;
  const prefix = common.NATS_SUBJECT_PREFIX;
  const infra =
    DATABASE_URL && NATS_URL && REDIS_URL
      ? await external({ database: DATABASE_URL, nats: NATS_URL, redis: REDIS_URL }, prefix, logger, metrics, onStop)
      : await embedded(dataDir, prefix, logger, metrics, onStop);
  const { replayEvents, events } = infra;

  const withBus = async (service: string) => {
    const bus = await infra.bus(service);
    onStop(() => bus.close());
    return { logger: createLogger(service, logger.level), bus };
  };
  const withDatabase = (schema: string) => {
    const db = infra.database(schema);
    onStop(() => db.end());
    return db;
  };

  const authDb = withDatabase(authSchema);
  await startAuthService({ ...(await withBus('auth')), config: loadAuthConfig(), db: authDb });
  await startConversationsService({ ...(await withBus('conversations')), db: withDatabase(conversationsSchema), events, replayEvents }, onStop);
  const messagesConfig = loadConfig({ ...commonEnv, ...groupCommitEnv, ...messageBoundsEnv });
  await startMessagesService({ ...(await withBus('messages')), config: messagesConfig, db: withDatabase(messagesSchema), events, replayEvents }, onStop);
  const presenceConfig = loadConfig({ ...commonEnv, ...presenceEnv });
  const store = infra.presence({ ttlSeconds: presenceConfig.PRESENCE_TTL_SECONDS, graceSeconds: presenceConfig.PRESENCE_GRACE_SECONDS });
  startPresenceService({ ...(await withBus('presence')), config: presenceConfig, store }, onStop);

  const gateway = await withBus('gateway');
  const readiness = { bus: () => gateway.bus.connected, postgres: () => isDatabaseReady(authDb) };
  const config = loadGatewayConfig();
  const port = await startGatewayService({ ...gateway, config, metrics, rateCounter: infra.rateCounter, readiness }, onStop);
  logger.info({ mode: infra.mode, port, dataDir: infra.mode === 'embedded' ? dataDir : undefined }, 'all services started');
  console.log(`Pneumatic is running at http://localhost:${port}`);
  return { logger, shutdownTimeoutMs: common.SHUTDOWN_TIMEOUT_MS };
});

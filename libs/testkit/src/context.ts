import { Bus, createLogger, createMetrics, deleteEventStream, type Logger, type Metrics } from '@pneumatic/platform';
import { createTestDatabase, findInfrastructure, uniqueName } from './infrastructure';

/** Everything an integration suite needs, isolated by its own database, NATS prefix and Redis prefix. */
export interface TestContext {
  name: string;
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  natsPrefix: string;
  redisPrefix: string;
  logger: Logger;
  metrics: Metrics;
  /** Env for a spawned service process so it joins this suite's isolated world. */
  env: Record<string, string>;
  connectBus(name?: string): Promise<Bus>;
  cleanup(): Promise<void>;
}

export async function createTestContext(label: string): Promise<TestContext> {
  const infra = await findInfrastructure();
  const name = uniqueName(label);
  const database = await createTestDatabase(infra, name);
  const logger = createLogger(label, process.env.TEST_LOG_LEVEL ?? 'silent');
  const metrics = createMetrics(label);
  const buses: Bus[] = [];
  const ctx: TestContext = {
    name,
    databaseUrl: database.url,
    natsUrl: infra.natsUrl,
    redisUrl: infra.redisUrl,
    natsPrefix: name,
    redisPrefix: `${name}:`,
    logger,
    metrics,
    env: {
      DATABASE_URL: database.url,
      NATS_URL: infra.natsUrl,
      NATS_SUBJECT_PREFIX: name,
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${name}:`,
      NODE_ENV: 'test',
    },
    async connectBus(busName = label) {
      const bus = await Bus.connect({ url: infra.natsUrl, prefix: name, name: busName, logger, metrics });
      buses.push(bus);
      return bus;
    },
    async cleanup() {
      await Promise.all(buses.map((b) => b.close()));
      await deleteEventStream(infra.natsUrl, name);
      await database.drop();
    },
  };
  return ctx;
}

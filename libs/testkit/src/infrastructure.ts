import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';

/** Where the real Postgres, NATS and Redis of a test run live. */
export interface Infrastructure {
  postgresUrl: string;
  natsUrl: string;
  redisUrl: string;
}

const defaults: Infrastructure = {
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: 'nats://127.0.0.1:4222',
  redisUrl: 'redis://127.0.0.1:6379',
};

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

let found: Promise<Infrastructure> | undefined;

// Loaded only when containers are wanted (it is slow to load). A require, not import(): Jest runs
// CommonJS without VM modules and refuses a dynamic import(), so that path never ran under Jest.
const testcontainers = (): typeof import('testcontainers') => require('testcontainers');

/**
 * Env URLs if set (TEST_POSTGRES_URL, TEST_NATS_URL, TEST_REDIS_URL), else the local default
 * ports, else containers where a Docker engine answers, else one error saying what to start.
 * TEST_INFRASTRUCTURE=containers skips the first two (the compose test runs a suite this way).
 */
export function findInfrastructure(): Promise<Infrastructure> {
  found ??= locate();
  return found;
}

async function locate(): Promise<Infrastructure> {
  if (process.env.TEST_INFRASTRUCTURE === 'containers') return startContainers();
  const wanted: Infrastructure = {
    postgresUrl: process.env.TEST_POSTGRES_URL ?? defaults.postgresUrl,
    natsUrl: process.env.TEST_NATS_URL ?? defaults.natsUrl,
    redisUrl: process.env.TEST_REDIS_URL ?? defaults.redisUrl,
  };
  const missing = (
    await Promise.all(Object.entries(wanted).map(async ([name, url]) => ((await answers(url)) ? null : `${name}=${url}`)))
  ).filter((m): m is string => m !== null);
  if (missing.length === 0) return wanted;
  if (await dockerAnswers()) return startContainers();
  throw new Error(
    `test infrastructure not reachable: ${missing.join(', ')}. Start PostgreSQL, NATS (with -js) and Redis ` +
      '(`bash .ci/run` does, or set TEST_POSTGRES_URL / TEST_NATS_URL / TEST_REDIS_URL), or run a Docker engine for testcontainers.',
  );
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = testcontainers();
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<Infrastructure> {
  const { GenericContainer, Wait } = testcontainers();
  const [pg, nats, redis] = await Promise.all([
    new GenericContainer('postgres:15-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
      .start(),
    new GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).start(),
    new GenericContainer('redis:7-alpine').withExposedPorts(6379).start(),
  ]);
  return {
    postgresUrl: `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`,
    natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}/0`,
  };
}

/** A name unique to this test run, usable as a database name, NATS subject token and Redis key prefix. */
export const uniqueName = (label: string) => `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;

/** Creates an empty database for one suite; the returned function drops it. */
export async function createTestDatabase(infra: Infrastructure, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: infra.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(infra.postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: infra.postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Ports for what a test spawns. Not from `listen(0)`: that draws from Linux's ephemeral range
 * (32768-60999), where every outbound connection takes its local port too, and a port released for
 * a child to bind was taken before it could (a crashed service, and another suite's process
 * answering its /ready). So ports come from below that range, a slice per Jest worker (parallel
 * suites never pick the same one), each handed out once per pass through the slice.
 */
const portsFirst = 20_000;
const portsEnd = 32_768;
const workerSlices = 8;
const sliceSize = Math.floor((portsEnd - portsFirst) / workerSlices);
const sliceFirst = portsFirst + ((Number(process.env.JEST_WORKER_ID ?? '1') - 1) % workerSlices) * sliceSize;
let nextInSlice = 0;

/** Whether nothing listens on `port` of the loopback address. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports (a stack numbers its gateways and admin ports consecutively). */
export async function freePortRange(count: number): Promise<number> {
  for (let tried = 0; tried < sliceSize; tried += count) {
    if (nextInSlice + count > sliceSize) nextInSlice = 0;
    const base = sliceFirst + nextInSlice;
    nextInSlice += count;
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports in ${sliceFirst}-${sliceFirst + sliceSize - 1}`);
}

export const freePort = (): Promise<number> => freePortRange(1);

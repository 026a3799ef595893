import { deleteEventStream } from '@pneumatic/platform';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

const root = path.resolve(__dirname, '..', '..');

export interface LocalStack {
  gateways: string[];
  databaseUrl: string;
  /** The NATS subject prefix of this run's stack (its JetStream log is `<prefix>_EVENTS`). */
  prefix: string;
  /** The exporter's admin base URL (/metrics, /ready), when the stack was given KAFKA_BROKERS. */
  exporter?: string;
  /** The launcher's pid: every service process of the stack descends from it (cpu-accounting.ts). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * The local stack (scripts/stack.ts) on its own database and prefixes, so a run starts clean.
 * `settings` override the bench's (KAFKA_BROKERS also runs the Kafka exporter), and a stack with
 * other settings gets a `database` of its own.
 */
export async function startLocalStack(basePort: number, settings: Record<string, string> = {}, database = 'pneumatic_bench'): Promise<LocalStack> {
  const databaseUrl = await freshBenchDatabase(database);
  const prefix = `bench${process.pid}`;
  // Beside the gateways, away from a developer's own stack on the default 9101-9105.
  const adminBase = basePort + 101;
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'scripts', 'dist', 'stack.js')], {
    env: {
      ...process.env,
      PORT: String(basePort),
      DATABASE_URL: databaseUrl,
      NATS_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: `${prefix}:`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // Set-up creates thousands of accounts; login cost is not what this benchmark measures.
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      // Load comes from one address and few sockets; the per-IP and per-socket limits that protect
      // a production edge would measure themselves, not the system.
      RATE_LIMIT_PER_IP: '100000000',
      RATE_LIMIT_PER_USER: '100000000',
      // The idle and fan-out scenarios open thousands of sockets from this one address within a minute.
      WS_UPGRADES_PER_IP: '100000000',
      WS_FRAMES_PER_SECOND: '100000',
      WS_FRAME_BURST: '100000',
      RATE_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '64',
      RATE_LIMIT_LOGINS_WAITING_PER_IP: '10000',
      ADMIN_PORT_BASE: String(adminBase),
      ...settings,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // scripts/stack.ts puts gateways on consecutive ports (STACK_GATEWAYS, default 2).
  const gatewayCount = Number(settings.STACK_GATEWAYS ?? process.env.STACK_GATEWAYS ?? 2);
  const gateways = Array.from({ length: gatewayCount }, (_, i) => `http://127.0.0.1:${basePort + i}`);
  await untilReady(gateways, 60_000);
  return {
    gateways,
    databaseUrl,
    prefix,
    pid: child.pid!,
    // scripts/stack.ts puts the exporter on the fifth admin port.
    exporter: settings.KAFKA_BROKERS ? `http://127.0.0.1:${adminBase + 4}` : undefined,
    async stop() {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      // Otherwise each run's stream would stay on the NATS server's disk.
      await deleteEventStream(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix);
    },
  };
}

/** Drops and creates `database` on the bench's Postgres server (BENCH_POSTGRES_URL); its URL. */
export async function freshBenchDatabase(database: string): Promise<string> {
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  return server.replace(/\/[^/]*$/, `/${database}`);
}

/** Waits until every base URL answers /ready 200. */
export async function untilReady(urls: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    while ((await fetch(`${url}/ready`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error(`nothing ready at ${url} within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

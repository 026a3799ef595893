import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import type { Logger } from './logger';
import { TimedClient } from './timed-pg-client';

export type { PoolClient, QueryResult } from 'pg';
export type Database = Pool;

export interface DatabaseOptions {
  url: string;
  /** The service's own schema: every unqualified table name resolves there, and no service reads another's. */
  schema: string;
  logger: Logger;
  maxConnections?: number;
  /** Longer than any transaction Pneumatic keeps open between statements. */
  idleInTransactionTimeoutMs?: number;
}

export function connectDatabase({ url, schema, logger, maxConnections = 10, idleInTransactionTimeoutMs = 30_000 }: DatabaseOptions): Database {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    // The relays read below the cluster's oldest open write transaction, so one left open (a hung
    // process) would hold back every service's events; Postgres ends such a session instead.
    options: `-c search_path=${schema} -c idle_in_transaction_session_timeout=${idleInTransactionTimeoutMs}`,
    connectionTimeoutMillis: 5000,
    Client: TimedClient,
  });
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  return pool;
}

export async function withTransaction<T>(db: Database, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Connection failures (SQLSTATE class 08), the server shutting down or starting (57P01-57P03), and the sockets' own. */
const unreachableCodes = /^(08|57P0[123]$|ECONNREFUSED$|ECONNRESET$|EPIPE$|ETIMEDOUT$|EHOSTUNREACH$)/;
const unreachableMessages = /Connection terminated|not queryable|timeout exceeded when trying to connect/;

/**
 * Whether a query failed because Postgres could not be reached, rather than for what it asked:
 * the request may succeed once the database is back, so it is answered `unavailable`, not
 * `internal_error` (a replica that outlives an outage keeps answering meanwhile).
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && unreachableCodes.test(code)) || (typeof message === 'string' && unreachableMessages.test(message));
}

export async function isDatabaseReady(db: Database): Promise<boolean> {
  try {
    await db.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

const eventStoreMigration = path.join(__dirname, '..', 'migrations');

/**
 * Applies `*.sql` files in name order, each once, inside the service's schema. The event-store
 * tables come first for services that keep events. An advisory lock lets replicas start together.
 */
export async function migrate(db: Database, schema: string, dir: string, { eventStore = false } = {}): Promise<string[]> {
  const dirs = eventStore ? [eventStoreMigration, dir] : [dir];
  const files: { name: string; file: string }[] = [];
  for (const d of dirs) {
    for (const name of (await readdir(d)).filter((f) => f.endsWith('.sql')).sort()) {
      files.push({ name, file: path.join(d, name) });
    }
  }
  const applied: string[] = [];
  await withTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const { name, file } of files) {
      if (done.has(name)) continue;
      await client.query(await readFile(file, 'utf8'));
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      applied.push(name);
    }
  });
  return applied;
}

/** Creates the database named in `url` if it does not exist yet (for local stacks, not production). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to create a database named ${JSON.stringify(name)}`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const pool = new Pool({ connectionString: maintenance.toString(), max: 1 });
  try {
    const { rowCount } = await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await pool.query(`CREATE DATABASE ${name}`).catch((err) => {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
    });
  } finally {
    await pool.end();
  }
}

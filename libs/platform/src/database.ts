import { createHash } from 'node:crypto';
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

interface MigrationFile {
  /** `platform/<file>` for the event-store tables, `<schema>/<file>` for the service's own: no two sources can share a key. */
  key: string;
  /** The key before keys were namespaced, under which older databases recorded the file. */
  legacyKey: string;
  sql: string;
  checksum: string;
}

async function migrationFiles(source: string, dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name), 'utf8');
      // Line endings normalised, so a checkout that converts them does not look like an edit.
      const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
      return { key: `${source}/${name}`, legacyKey: name, sql, checksum };
    }),
  );
}

/**
 * Applies `*.sql` files in name order, each once, inside the service's schema. The event-store
 * tables come first for services that keep events. An advisory lock lets replicas start together.
 * Each applied file is recorded under a key namespaced by its source with its checksum; a file
 * changed after it was applied stops the start with its name (write a new migration instead).
 */
export async function migrate(db: Database, schema: string, dir: string, { eventStore = false } = {}): Promise<string[]> {
  const files = [...(eventStore ? await migrationFiles('platform', eventStoreMigration) : []), ...(await migrationFiles(schema, dir))];
  const applied: string[] = [];
  await withTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    await client.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
    const { rows } = await client.query<{ name: string; checksum: string | null }>('SELECT name, checksum FROM schema_migrations');
    const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
    for (const file of files) {
      if (!recorded.has(file.key) && recorded.has(file.legacyKey)) {
        // Recorded before keys were namespaced (and before checksums): adopt the row.
        await client.query('UPDATE schema_migrations SET name = $1, checksum = $2 WHERE name = $3', [file.key, file.checksum, file.legacyKey]);
        recorded.delete(file.legacyKey);
        recorded.set(file.key, file.checksum);
      }
      if (recorded.has(file.key)) {
        const checksum = recorded.get(file.key);
        if (checksum && checksum !== file.checksum) {
          throw new Error(`migration ${file.key} was changed after it was applied to schema ${schema}; put the change in a new migration file`);
        }
        continue;
      }
      await client.query(file.sql);
      await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [file.key, file.checksum]);
      applied.push(file.key);
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

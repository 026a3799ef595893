import type { Database, PoolClient } from './database';
import type { Logger } from './logger';

export interface SingleActiveOptions {
  db: Database;
  /** A Postgres advisory lock's name: whichever replica holds it is the active one. */
  lock: string;
  logger: Logger;
  /** What is active, in the log lines: e.g. `event relay`, `kafka export`. */
  label: string;
  /** Fields naming it in every log line. */
  fields: Record<string, unknown>;
  /** How often a replica on standby tries the lock again. */
  standbyRetryMs: number;
  stopped(): boolean;
  /** Waits (a stop may cut it short). */
  pause(ms: number): Promise<void>;
  /** Runs while this replica holds the lock, until stopped; throwing releases the lock and starts over after a second. */
  whileActive(client: PoolClient): Promise<void>;
  /** After every spell of being active, however it ended. */
  afterActive?(): void;
}

/**
 * The loop of the relays, projection runners and Kafka exports: one replica active per lock, the
 * others on standby, and a failure (a lost connection, a broker refusing) retried from the
 * checkpoint the work keeps. The lock is a session lock on one pooled connection; discarding that
 * connection after a failure releases it too.
 */
export async function runSingleActive(options: SingleActiveOptions): Promise<void> {
  const { db, lock, logger, label, fields, standbyRetryMs, stopped, pause } = options;
  while (!stopped()) {
    let client: PoolClient | undefined;
    let broken = false;
    try {
      client = await db.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lock]);
      if (!rows[0]!.locked) {
        client.release();
        client = undefined;
        await pause(standbyRetryMs);
        continue;
      }
      logger.info(fields, `${label} active`);
      await options.whileActive(client);
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
    } catch (err) {
      broken = true;
      logger.warn({ err, ...fields }, `${label} failed; resuming from its checkpoint`);
      await pause(1000);
    } finally {
      if (client) options.afterActive?.();
      client?.release(broken);
    }
  }
}

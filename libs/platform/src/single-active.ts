import type { Database, PoolClient } from './database';
import type { Logger } from './logger';

/** A background worker's stop: `stopped` turns true, and a pause under way ends at once. */
export class StopSignal {
  stopped = false;
  private wake?: () => void;

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Waits `ms`, or less if the worker is stopped meanwhile. */
  pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

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
  signal: StopSignal;
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
  const { db, lock, logger, label, fields, standbyRetryMs, signal } = options;
  while (!signal.stopped) {
    let client: PoolClient | undefined;
    let broken = false;
    try {
      client = await db.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lock]);
      if (!rows[0]!.locked) {
        client.release();
        client = undefined;
        await signal.pause(standbyRetryMs);
        continue;
      }
      logger.info(fields, `${label} active`);
      await options.whileActive(client);
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
    } catch (err) {
      broken = true;
      logger.warn({ err, ...fields }, `${label} failed; resuming from its checkpoint`);
      await signal.pause(1000);
    } finally {
      if (client) options.afterActive?.();
      client?.release(broken);
    }
  }
}

import { Gauge } from 'prom-client';
import { ReadAhead } from './read-ahead';
import { runSingleActive, StopSignal } from './single-active';
import type { Database, PoolClient, QueryResult } from './database';
import type { RelayedEvent } from './event-relay';
import type { EventLog, EventLogMessage } from './jetstream';
import type { Logger } from './logger';

/** A read model fed from the events stream, applied in transactions that also move its checkpoint. */
export interface Projection {
  name: string;
  /** Subject filter before the prefix, e.g. `events.messages.>`. */
  subject: string;
  /**
   * Applies events in stream order (all that were waiting, in one transaction); unknown types are
   * ignored. Updates should be monotonic (compare seq, take the greatest) so a copy republished
   * after the dedup window changes nothing.
   */
  apply(tx: PoolClient, events: RelayedEvent[]): Promise<void>;
  /** Empties the projection's tables, for a rebuild. */
  reset(tx: PoolClient): Promise<void>;
}

export interface ProjectionRunnerOptions {
  db: Database;
  stream: EventLog;
  projection: Projection;
  logger: Logger;
  batchSize?: number;
  standbyRetryMs?: number;
}

type Outcome = 'applied' | 'skipped' | 'reset';

/** Registered in every service's registry by createMetrics, like the database latency histogram. */
export const projectionLag = new Gauge({
  name: 'pneumatic_projection_lag_seconds',
  help: 'How old the last event a projection applied was when it applied it',
  labelNames: ['projection'] as const,
  registers: [],
});

const decoder = new TextDecoder();

/**
 * Keeps one projection up to date. The checkpoint (last applied stream sequence) lives in the
 * projection's own database and moves in the transaction that applies the event, so it is the
 * truth: the runner reads the stream with an ordered consumer from the checkpoint on, and a
 * redelivered or already-applied event is skipped. An advisory lock keeps one runner active per
 * projection across replicas; a rebuild elsewhere (checkpoint set back) makes it start over.
 */
export class ProjectionRunner {
  private readonly signal = new StopSignal();
  private running?: Promise<void>;

  constructor(private readonly options: ProjectionRunnerOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
  }

  private run(): Promise<void> {
    const { db, logger, projection, standbyRetryMs = 2000 } = this.options;
    return runSingleActive({
      db,
      logger,
      lock: `projection:${projection.name}`,
      label: 'projection',
      fields: { projection: projection.name },
      standbyRetryMs,
      signal: this.signal,
      whileActive: async (client) => {
        while (!this.signal.stopped) await this.follow(client);
      },
    });
  }

  /** Reads from the checkpoint on until stopped or until the checkpoint is set back by a rebuild. */
  private async follow(client: PoolClient): Promise<void> {
    const { stream, projection, batchSize = 100 } = this.options;
    let expected = await readCheckpoint(client, projection.name);
    // Events stored while a batch commits join the next one, so batches grow with the load and
    // add no delay when the stream is quiet.
    const events = new ReadAhead(await stream.consumerFrom(projection.subject, expected + 1), { maxBatch: batchSize, idleMs: 1000 });
    try {
      while (!this.signal.stopped) {
        const group = await events.nextBatch();
        if (group.length === 0) continue;
        if ((await applyEvents(client, projection, group, expected, this.options.logger)).outcome === 'reset') return;
        expected = Math.max(expected, group.at(-1)!.seq);
      }
    } finally {
      await events.close();
    }
  }
}

/**
 * Replays the stream into the projection until nothing is pending (the rebuild command's second
 * half). Safe next to a live runner: both apply only events past the checkpoint, under its row lock.
 */
export async function catchUpProjection(options: Omit<ProjectionRunnerOptions, 'standbyRetryMs'>): Promise<number> {
  const { db, stream, projection, logger, batchSize = 500 } = options;
  const client = await db.connect();
  try {
    let applied = 0;
    let expected = await readCheckpoint(client, projection.name);
    const consumer = await stream.consumerFrom(projection.subject, expected + 1);
    for (;;) {
      const group: EventLogMessage[] = [];
      const batch = await consumer.fetch({ max_messages: batchSize, expires: 1000 });
      for await (const msg of batch) {
        group.push(msg);
        if (msg.info.pending === 0) break;
      }
      if (group.length === 0) return applied;
      applied += (await applyEvents(client, projection, group, expected, logger)).applied;
      expected = Math.max(expected, group.at(-1)!.seq);
      if (group.at(-1)!.info.pending === 0) return applied;
    }
  } finally {
    client.release();
  }
}

/** Empties a projection and sets its checkpoint back to the stream's start, in one transaction. */
export async function resetProjection(db: Database, projection: Projection): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING', [projection.name]);
    await client.query('SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE', [projection.name]);
    await projection.reset(client);
    await client.query('UPDATE projection_checkpoints SET stream_sequence = 0, updated_at = now() WHERE name = $1', [projection.name]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Applies events (in stream order) in one transaction with the checkpoint. Events at or below the
 * checkpoint are skipped; a checkpoint below what this runner expected means a rebuild set it back.
 */
async function applyEvents(
  client: PoolClient,
  projection: Projection,
  msgs: EventLogMessage[],
  expected: number,
  logger: Logger,
): Promise<{ outcome: Outcome; applied: number }> {
  // A projection is rebuildable and its checkpoint commits with its rows, so a crash that loses
  // the last few commits only replays them: no need to wait for each WAL flush. The transaction
  // opens, and later moves the checkpoint and commits, in one round trip each (simple-protocol
  // batches, hence the name as a literal).
  const name = sqlLiteral(projection.name);
  const opened = (await client.query(
    `BEGIN; SET LOCAL synchronous_commit = off; SELECT stream_sequence FROM projection_checkpoints WHERE name = ${name} FOR UPDATE`,
  )) as unknown as QueryResult<{ stream_sequence: string }>[];
  try {
    const rows = opened.at(-1)!.rows;
    const checkpoint = Number(rows[0]!.stream_sequence);
    if (checkpoint < expected) {
      await client.query('ROLLBACK');
      return { outcome: 'reset', applied: 0 };
    }
    const fresh = msgs.filter((msg) => msg.seq > checkpoint);
    if (fresh.length === 0) {
      await client.query('ROLLBACK');
      return { outcome: 'skipped', applied: 0 };
    }
    const events: RelayedEvent[] = [];
    for (const msg of fresh) {
      const event = decodeEvent(msg);
      if (event) events.push(event);
      else logger.warn({ projection: projection.name, seq: msg.seq, subject: msg.subject }, 'skipped an event that is not a JSON envelope');
    }
    if (events.length > 0) {
      await projection.apply(client, events);
      projectionLag.set({ projection: projection.name }, Math.max(0, (Date.now() - Date.parse(events.at(-1)!.time)) / 1000) || 0);
    }
    await client.query(`UPDATE projection_checkpoints SET stream_sequence = ${Number(fresh.at(-1)!.seq)}, updated_at = now() WHERE name = ${name}; COMMIT`);
    return { outcome: 'applied', applied: fresh.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function decodeEvent(msg: EventLogMessage): RelayedEvent | undefined {
  try {
    const event = JSON.parse(decoder.decode(msg.data)) as RelayedEvent;
    return typeof event?.type === 'string' && typeof event.version === 'number' ? event : undefined;
  } catch {
    return undefined;
  }
}

async function readCheckpoint(client: PoolClient, name: string): Promise<number> {
  await client.query('INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
  const { rows } = await client.query<{ stream_sequence: string }>('SELECT stream_sequence FROM projection_checkpoints WHERE name = $1', [name]);
  return Number(rows[0]!.stream_sequence);
}

/** A string as an SQL literal (standard_conforming_strings, the default since Postgres 9.1). */
const sqlLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;


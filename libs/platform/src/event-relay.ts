import type { Database, PoolClient } from './database';
import { relayedEventSubject, type EventLog } from './jetstream';
import type { Logger } from './logger';
import { runSingleActive, StopSignal } from './single-active';

export interface EventRelayOptions {
  db: Database;
  stream: EventLog;
  /** Names the relay's checkpoint, advisory lock and subjects (`events.<service>.<type>`). */
  service: string;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How often a replica without the lock asks for it again. */
  standbyRetryMs?: number;
  /** How often the checkpoint is written while the relay is behind; it is also written whenever it catches up. */
  checkpointIntervalMs?: number;
}

/** What travels on JetStream: the stored event in the contracts' envelope, plus its stream position. */
export interface RelayedEvent {
  id: string;
  type: string;
  version: number;
  time: string;
  stream_id?: string;
  stream_version?: number;
  data: unknown;
  metadata?: Record<string, unknown>;
}

interface Checkpoint {
  transactionId: string;
  position: string;
}

/** A committed event to relay: its envelope (a `RelayedEvent`) already serialized by Postgres. */
interface RelayRow {
  position: string;
  transaction_id: string;
  event_id: string;
  type: string;
  envelope: string;
}

/**
 * Postgres writes the envelope: `data` and `metadata` are stored as jsonb, and building the JSON
 * there spares the relay a parse and a re-serialization of every event. `time` is formatted as
 * JavaScript's toISOString does.
 */
const envelopeSql = `jsonb_build_object(
    'id', event_id, 'type', type, 'version', schema_version,
    'time', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'stream_id', stream_id, 'stream_version', stream_version, 'data', data, 'metadata', metadata)::text`;

const encoder = new TextEncoder();

/**
 * Publishes committed events to JetStream, in commit-safe order, at least once; the event id as
 * message id makes JetStream drop the copies a restart republishes, so each lands once.
 *
 * Positions come from a sequence taken at insert, so a transaction may commit after a later
 * position is already visible. The relay therefore reads in (transaction_id, position) order and
 * only rows whose transaction is older than every transaction still running (xmin of a fresh
 * snapshot): such a row's transaction is over, and any later commit has a larger id.
 */
export class EventRelay {
  private running?: Promise<void>;
  private readonly signal = new StopSignal();
  private checkpoint?: Checkpoint;
  /** Whether `checkpoint` is ahead of the row in relay_checkpoints, and since when the row was written. */
  private checkpointAhead = false;
  private checkpointWrittenAt = 0;

  constructor(private readonly options: EventRelayOptions) {}

  private get name(): string {
    return `event-relay:${this.options.service}`;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
  }

  /**
   * One pass: publishes the next batch of committed events and advances the checkpoint. Returns how many.
   * The checkpoint row is written when the relay has caught up, or every `checkpointIntervalMs`
   * while it is behind: after a crash it republishes at most that much, and JetStream drops the
   * copies by event id.
   */
  async publishPending(client: PoolClient): Promise<number> {
    const { batchSize = 100, checkpointIntervalMs = 1000 } = this.options;
    if (!this.checkpoint) {
      this.checkpoint = await readCheckpoint(client, this.name);
      this.checkpointWrittenAt = Date.now();
    }
    const checkpoint = this.checkpoint;
    const { rows } = await client.query<RelayRow>({
      text: `SELECT position::text, transaction_id::text, event_id, type, ${envelopeSql} AS envelope
       FROM events
       WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, events.position
       LIMIT $3`,
      values: [checkpoint.transactionId, checkpoint.position, batchSize],
    });
    if (rows.length > 0) {
      await Promise.all(rows.map((row) => this.publish(row)));
      const last = rows[rows.length - 1]!;
      this.checkpoint = { transactionId: last.transaction_id, position: last.position };
      this.checkpointAhead = true;
    }
    const caughtUp = rows.length < batchSize;
    if (this.checkpointAhead && (caughtUp || Date.now() - this.checkpointWrittenAt >= checkpointIntervalMs)) await this.writeCheckpoint(client);
    return rows.length;
  }

  private async writeCheckpoint(client: PoolClient): Promise<void> {
    const { transactionId, position } = this.checkpoint!;
    await client.query('UPDATE relay_checkpoints SET transaction_id = $2::xid8, position = $3, updated_at = now() WHERE name = $1', [
      this.name,
      transactionId,
      position,
    ]);
    this.checkpointAhead = false;
    this.checkpointWrittenAt = Date.now();
  }

  private publish(row: RelayRow) {
    const subject = relayedEventSubject(this.options.service, row.type);
    return this.options.stream.publish(subject, encoder.encode(row.envelope), row.event_id);
  }

  /** Holds the advisory lock while relaying, so one replica publishes; the others wait on standby. */
  private run(): Promise<void> {
    const { db, logger, batchSize = 100, pollIntervalMs = 100, standbyRetryMs = 2000 } = this.options;
    return runSingleActive({
      db,
      logger,
      lock: this.name,
      label: 'event relay',
      fields: { relay: this.name },
      standbyRetryMs,
      signal: this.signal,
      whileActive: async (client) => {
        this.checkpoint = undefined;
        this.checkpointAhead = false;
        while (!this.signal.stopped) {
          const published = await this.publishPending(client);
          if (published < batchSize) await this.signal.pause(pollIntervalMs);
        }
        if (this.checkpointAhead) await this.writeCheckpoint(client);
      },
    });
  }
}

async function readCheckpoint(client: PoolClient, name: string): Promise<Checkpoint> {
  await client.query('INSERT INTO relay_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
  const { rows } = await client.query<{ transaction_id: string; position: string }>(
    'SELECT transaction_id::text, position::text FROM relay_checkpoints WHERE name = $1',
    [name],
  );
  return { transactionId: rows[0]!.transaction_id, position: rows[0]!.position };
}

/**
 * Sets a relay back to the start of its event store, so it publishes every event again: for an
 * events stream that does not outlive the process (the embedded mode's in-memory one).
 */
export async function replayRelayFromStart(db: Database, service: string): Promise<void> {
  await db.query("UPDATE relay_checkpoints SET transaction_id = '0', position = 0, updated_at = now() WHERE name = $1", [`event-relay:${service}`]);
}

/** Starts a relay over an events stream made by the caller; the returned function stops it. */
export function startRelay(options: EventRelayOptions): () => Promise<void> {
  const relay = new EventRelay(options);
  relay.start();
  return () => relay.stop();
}

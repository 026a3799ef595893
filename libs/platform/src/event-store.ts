import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';

/** An event as a decider emits it; the store adds id, stream position and time. */
export interface NewEvent<T extends string = string, D = unknown> {
  type: T;
  schemaVersion: number;
  data: D;
  metadata?: Record<string, unknown> | EventMetadata;
}

/**
 * What a stored event's metadata holds: the request it belongs to (correlation), what caused it
 * (causation), and the W3C trace context when tracing is on (null otherwise).
 */
export interface EventMetadata {
  correlation_id: string;
  causation_id: string;
  traceparent: string | null;
}

/** Metadata for events caused directly by one command; its id correlates them. */
export const commandMetadata = (commandId: string, traceparent: string | null = null): EventMetadata => ({
  correlation_id: commandId,
  causation_id: commandId,
  traceparent,
});

export interface StoredEvent<T extends string = string, D = unknown> extends NewEvent<T, D> {
  eventId: string;
  streamId: string;
  streamVersion: number;
  createdAt: Date;
}

export class StreamVersionConflict extends Error {
  constructor(streamId: string, expected: number) {
    super(`stream ${streamId} is not at version ${expected}`);
  }
}

/**
 * Locks a stream for the rest of the transaction and returns its version (0 if new), so that
 * concurrent writers to one stream queue up instead of failing their optimistic check.
 */
export async function lockStream(client: PoolClient, streamId: string): Promise<number> {
  await client.query('INSERT INTO streams (stream_id, version) VALUES ($1, 0) ON CONFLICT DO NOTHING', [streamId]);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE', [
    streamId,
  ]);
  return rows[0]!.version;
}

/**
 * Locks several streams at once, in id order (so concurrent callers cannot deadlock), and returns
 * their versions: two round trips however many streams.
 */
export async function lockStreams(client: PoolClient, streamIds: string[]): Promise<Map<string, number>> {
  await client.query('INSERT INTO streams (stream_id, version) SELECT unnest($1::uuid[]), 0 ON CONFLICT DO NOTHING', [streamIds]);
  const { rows } = await client.query<{ stream_id: string; version: number }>(
    'SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::uuid[]) ORDER BY stream_id FOR UPDATE',
    [streamIds],
  );
  return new Map(rows.map((r) => [r.stream_id, r.version]));
}

/** Appends events if the stream is still at `expectedVersion`; returns them as stored. */
export async function appendToStream(
  client: PoolClient,
  streamId: string,
  expectedVersion: number,
  events: NewEvent[],
): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const moved = await client.query(
    `INSERT INTO streams AS s (stream_id, version) VALUES ($1, $3)
     ON CONFLICT (stream_id) DO UPDATE SET version = $3 WHERE s.version = $2`,
    [streamId, expectedVersion, expectedVersion + events.length],
  );
  if (moved.rowCount !== 1) throw new StreamVersionConflict(streamId, expectedVersion);
  const stored = events.map((event, i) => ({
    ...event,
    metadata: event.metadata ?? {},
    eventId: randomUUID(),
    streamId,
    streamVersion: expectedVersion + i + 1,
    createdAt: new Date(),
  }));
  await client.query(
    `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, created_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])`,
    [
      stored.map((e) => e.eventId),
      stored.map((e) => e.streamId),
      stored.map((e) => e.streamVersion),
      stored.map((e) => e.type),
      stored.map((e) => e.schemaVersion),
      stored.map((e) => JSON.stringify(e.data)),
      stored.map((e) => JSON.stringify(e.metadata)),
      stored.map((e) => e.createdAt),
    ],
  );
  return stored;
}

const eventColumns = 'position::text, event_id, stream_id, stream_version, type, schema_version, data, metadata, created_at';

interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  created_at: Date;
}

const toStoredEvent = (r: EventRow): StoredEvent => ({
  eventId: r.event_id,
  streamId: r.stream_id,
  streamVersion: r.stream_version,
  type: r.type,
  schemaVersion: r.schema_version,
  data: r.data,
  metadata: r.metadata,
  createdAt: r.created_at,
});

export async function readStream(client: PoolClient, streamId: string): Promise<StoredEvent[]> {
  const { rows } = await client.query<EventRow>(
    `SELECT ${eventColumns} FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );
  return rows.map(toStoredEvent);
}

/** One page of the whole store in position order, for replays; `position` is the cursor for the next page. */
export async function readAllEvents(
  client: PoolClient,
  afterPosition: string,
  limit: number,
): Promise<{ events: StoredEvent[]; position: string | undefined }> {
  const { rows } = await client.query<EventRow>(
    `SELECT ${eventColumns} FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
    [afterPosition, limit],
  );
  return { events: rows.map(toStoredEvent), position: rows.at(-1)?.position };
}

/** Rewrites a stored event one schema version up; keyed `<type>@<version>`. */
export type Upcaster = (event: StoredEvent) => StoredEvent;

/**
 * Older event versions, rewritten to the current one when read, so deciders and projections only
 * know the newest shape and stored events are never migrated in place.
 */
export function upcastWith(upcasters: Record<string, Upcaster>): (event: StoredEvent) => StoredEvent {
  return (event) => {
    let current = event;
    for (let step = upcasters[`${current.type}@${current.schemaVersion}`]; step; step = upcasters[`${current.type}@${current.schemaVersion}`]) {
      current = step(current);
    }
    return current;
  };
}

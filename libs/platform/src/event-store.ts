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

/** The error an append raises when a stream was not at its expected version (SQLSTATE 40001, retryable). */
export const isStreamVersionConflict = (err: unknown): boolean =>
  (err as { code?: string }).code === '40001' && /stream version conflict/.test((err as Error).message);

/**
 * Locks a stream for the rest of the transaction and returns its version (0 if new), so that
 * concurrent writers to one stream queue up instead of failing their optimistic check.
 */
export async function lockStream(client: PoolClient, streamId: string): Promise<number> {
  return (await lockStreams(client, [streamId])).get(streamId)!;
}

/**
 * Locks several streams in one round trip, in id order (so concurrent callers cannot deadlock),
 * and returns their versions. The no-op update is what takes the row lock, for new and existing
 * streams alike.
 */
export async function lockStreams(client: PoolClient, streamIds: string[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ stream_id: string; version: number }>({
    name: 'event-store.lock',
    text: `INSERT INTO streams AS s (stream_id, version) SELECT id, 0 FROM unnest($1::uuid[]) AS id ORDER BY id
     ON CONFLICT (stream_id) DO UPDATE SET version = s.version
     RETURNING stream_id, version`,
    values: [[...new Set(streamIds)].sort()],
  });
  return new Map(rows.map((r) => [r.stream_id, r.version]));
}

export interface StreamAppend {
  streamId: string;
  expectedVersion: number;
  events: NewEvent[];
}

/** Appends events if the stream is still at `expectedVersion`; returns them as stored. */
export function appendToStream(
  client: PoolClient,
  streamId: string,
  expectedVersion: number,
  events: NewEvent[],
): Promise<StoredEvent[]> {
  return appendToStreams(client, [{ streamId, expectedVersion, events }]);
}

/**
 * Appends to several streams in one go, each only if it is still at its expected version, in one
 * statement however many streams: this is what makes group commit pay. A stream expected at 0 may
 * not exist yet. On a conflict the statement fails (see `isStreamVersionConflict`) and stores nothing.
 */
export async function appendToStreams(client: PoolClient, appends: StreamAppend[]): Promise<StoredEvent[]> {
  const append = streamAppendCtes(appends);
  if (append.stored.length === 0) return [];
  await client.query(`WITH ${append.sql} SELECT count(*) FROM appended`, append.values);
  return append.stored;
}

/**
 * An append as common table expressions (`v, created, moved, checked, appended`), for a writer
 * that puts its own rows in the same statement: rows it selects `FROM checked WHERE checked.ok`
 * are written only once every stream has moved. Parameters are numbered from `first`. No lock is
 * needed beforehand: a stream that was not at its expected version aborts the whole statement.
 * When the SQL condition `unless` holds, nothing moves and `checked.ok` is false, without an error
 * (for a condition the writer expects, such as a retried command, that should not log one).
 */
export function streamAppendCtes(appends: StreamAppend[], first = 1, unless = 'false'): { sql: string; values: unknown[]; stored: StoredEvent[] } {
  const moving = appends.filter((a) => a.events.length > 0);
  const createdAt = new Date();
  const stored: StoredEvent[] = moving.flatMap(({ streamId, expectedVersion, events }) =>
    events.map((event, i) => ({
      ...event,
      metadata: event.metadata ?? {},
      eventId: randomUUID(),
      streamId,
      streamVersion: expectedVersion + i + 1,
      createdAt,
    })),
  );
  const $ = (i: number) => `$${first + i}`;
  // Data-modifying CTEs share one snapshot: a stream is either created (absent) or moved (present), never both.
  const sql = `v AS (SELECT * FROM unnest(${$(0)}::uuid[], ${$(1)}::int[], ${$(2)}::int[]) AS v(id, expected, next)),
     created AS (INSERT INTO streams (stream_id, version) SELECT id, next FROM v WHERE expected = 0 AND NOT (${unless})
                 ON CONFLICT DO NOTHING RETURNING stream_id),
     moved AS (UPDATE streams s SET version = v.next FROM v WHERE s.stream_id = v.id AND s.version = v.expected AND NOT (${unless})
               RETURNING s.stream_id),
     checked AS (SELECT CASE WHEN ${unless} THEN false
                   WHEN (SELECT count(*) FROM created) + (SELECT count(*) FROM moved) = cardinality(${$(0)}::uuid[])
                   THEN true ELSE stream_version_conflict(array_to_string(${$(0)}::uuid[], ',')) END AS ok),
     appended AS (INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, created_at)
       SELECT e.* FROM unnest(${$(3)}::uuid[], ${$(4)}::uuid[], ${$(5)}::int[], ${$(6)}::text[], ${$(7)}::int[], ${$(8)}::jsonb[],
         ${$(9)}::jsonb[], ${$(10)}::timestamptz[]) AS e, checked WHERE checked.ok RETURNING event_id)`;
  const values = [
    moving.map((a) => a.streamId),
    moving.map((a) => a.expectedVersion),
    moving.map((a) => a.expectedVersion + a.events.length),
    stored.map((e) => e.eventId),
    stored.map((e) => e.streamId),
    stored.map((e) => e.streamVersion),
    stored.map((e) => e.type),
    stored.map((e) => e.schemaVersion),
    stored.map((e) => JSON.stringify(e.data)),
    stored.map((e) => JSON.stringify(e.metadata)),
    stored.map((e) => e.createdAt),
  ];
  return { sql, values, stored };
}

/**
 * The columns of an events row, as `EventRow` holds them. `position` comes back as text, so an
 * ORDER BY must name `events.position`: a bare `position` would sort the text alias.
 */
export const eventColumns = 'position::text, event_id, stream_id, stream_version, type, schema_version, data, metadata, created_at';

export interface EventRow {
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
    `SELECT ${eventColumns} FROM events WHERE position > $1 ORDER BY events.position LIMIT $2`,
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

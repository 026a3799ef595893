import { randomUUID } from 'node:crypto';
import {
  EventRelay,
  EventStream,
  appendToStream,
  connectDatabase,
  lockStream,
  withTransaction,
  type Database,
  type PoolClient,
  type RelayedEvent,
} from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { migrateMessages } from '../store/messages-schema';

/** The relay against real Postgres and JetStream: commit order, crashes, replicas. */
describe('event relay (Postgres to JetStream)', () => {
  let ctx: TestContext;
  let db: Database;
  let stream: EventStream;
  const relays: EventRelay[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('event_relay');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
    stream = await EventStream.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'relay-test', logger: ctx.logger });
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await stream.destroy();
    await stream.close();
    await db.end();
    await ctx.cleanup();
  });

  const newRelay = (options: { pollIntervalMs?: number; batchSize?: number; checkpointIntervalMs?: number } = {}) => {
    const relay = new EventRelay({ db, stream, service: 'messages', logger: ctx.logger, standbyRetryMs: 100, ...options });
    relays.push(relay);
    return relay;
  };
  const eventIn = (tx: PoolClient, streamId = randomUUID()) =>
    lockStream(tx, streamId).then((v) => appendToStream(tx, streamId, v, [{ type: 'test.happened', schemaVersion: 1, data: { n: 1 } }]));
  const commitEvent = async () => (await withTransaction(db, (tx) => eventIn(tx)))[0]!.eventId;

  /** Every event in the stream, in stream order (an ordered consumer from the first message). */
  async function publishedEvents(): Promise<RelayedEvent[]> {
    const consumer = await stream.consumerFrom('events.messages.>', 1);
    const events: RelayedEvent[] = [];
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      let seen = 0;
      for await (const msg of batch) {
        seen++;
        events.push(msg.json() as RelayedEvent);
        if (msg.info.pending === 0) return events;
      }
      if (seen === 0) return events;
    }
  }
  const publishedIds = async () => (await publishedEvents()).map((e) => e.id);

  it('does not skip a transaction that took its position early and committed late', async () => {
    const relay = newRelay();
    const slow = await db.connect();
    try {
      await slow.query('BEGIN');
      const [early] = await eventIn(slow);
      const later = [await commitEvent(), await commitEvent()];
      const { rows } = await db.query('SELECT position FROM events WHERE event_id = ANY($1) ORDER BY position', [[early!.eventId, ...later]]);
      expect(rows).toHaveLength(2); // the slow one is not visible yet, but its position is below theirs
      // While the slow transaction is open, the later commits are held back, not published past it.
      const heldBack = await db.connect();
      try {
        expect(await relay.publishPending(heldBack)).toBe(0);
      } finally {
        heldBack.release();
      }
      await slow.query('COMMIT');
      const client = await db.connect();
      try {
        await waitFor('the relay to publish all three', async () => (await relay.publishPending(client)) === 0 && (await publishedIds()).length >= 3, 10_000);
      } finally {
        client.release();
      }
      expect(await publishedIds()).toEqual([early!.eventId, ...later]);
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined);
      slow.release();
    }
  });

  it('publishes an event committed while no relay ran exactly once, even when a crash loses the checkpoint', async () => {
    const before = await stream.messageCount();
    const id = await commitEvent();
    const first = newRelay();
    first.start();
    await waitFor('the event in the stream', async () => (await publishedIds()).includes(id), 10_000);
    await first.stop();
    // As if the process died after JetStream acknowledged but before the checkpoint was written.
    await db.query("UPDATE relay_checkpoints SET transaction_id = '0', position = 0");
    const second = newRelay();
    second.start();
    await waitFor('the second relay to pass the event again', async () => {
      const { rows } = await db.query<{ position: string }>('SELECT position::text FROM relay_checkpoints');
      const { rows: last } = await db.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
      return rows[0]?.position === last[0]?.position;
    }, 10_000);
    expect(await stream.messageCount()).toBe(before + 1);
    expect((await publishedIds()).filter((p) => p === id)).toHaveLength(1);
  });

  it('lets only one of two replicas publish, and the other take over when it stops', async () => {
    const [a, b] = [newRelay(), newRelay()];
    a.start();
    b.start();
    const ids = [await commitEvent(), await commitEvent()];
    await waitFor('both events in the stream', async () => {
      const published = await publishedIds();
      return ids.every((id) => published.includes(id));
    }, 10_000);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    expect(rows[0].n).toBe(1);
    await a.stop();
    const after = await commitEvent();
    await waitFor('the standby to publish', async () => (await publishedIds()).includes(after), 10_000);
    const published = await publishedIds();
    expect(new Set(published).size).toBe(published.length);
  });

  it('publishes each event in the envelope consumers read', async () => {
    const streamId = randomUUID();
    const [stored] = await withTransaction(db, (tx) =>
      lockStream(tx, streamId).then((v) =>
        appendToStream(tx, streamId, v, [{ type: 'test.happened', schemaVersion: 2, data: { n: 1, text: 'ü "quoted"' }, metadata: { correlation_id: 'c' } }]),
      ),
    );
    // Last in this file: earlier tests assert the stream's whole content.
    newRelay().start();
    let published: RelayedEvent | undefined;
    await waitFor('the event in the stream', async () => Boolean((published = (await publishedEvents()).find((e) => e.id === stored!.eventId))), 10_000);
    expect(published).toEqual({
      id: stored!.eventId,
      type: 'test.happened',
      version: 2,
      time: stored!.createdAt.toISOString(),
      stream_id: streamId,
      stream_version: 1,
      data: { n: 1, text: 'ü "quoted"' },
      metadata: { correlation_id: 'c' },
    });
  });

  it('stores a published event once per id, and refuses a subject no stream captures', async () => {
    const id = randomUUID();
    const data = new TextEncoder().encode('{}');
    const first = await stream.publish('events.elsewhere.test', data, id);
    expect(await stream.publish('events.elsewhere.test', data, id)).toEqual({ seq: first.seq, duplicate: true });
    expect(first.duplicate).toBe(false);
    await expect(stream.publish('outside.the.stream', data, randomUUID())).rejects.toMatchObject({ reason: 'no_responders' });
  });

  it('writes its checkpoint row when it catches up, not after every batch while behind', async () => {
    const rowPosition = async () => (await db.query<{ position: string }>('SELECT position::text FROM relay_checkpoints')).rows[0]?.position;
    const before = await rowPosition();
    const ids = [await commitEvent(), await commitEvent(), await commitEvent()];
    const relay = newRelay({ batchSize: 2, checkpointIntervalMs: 60_000 });
    const client = await db.connect();
    try {
      // The relay reads below the cluster's oldest running transaction; another suite's may hold it back a moment.
      await waitFor('the three commits visible to the relay', async () => {
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM events WHERE event_id = ANY($1::uuid[]) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())',
          [ids],
        );
        return rows[0]!.n === 3;
      }, 10_000);
      expect(await relay.publishPending(client)).toBe(2);
      expect(await rowPosition()).toBe(before);
      expect(await relay.publishPending(client)).toBe(1);
      const { rows } = await db.query<{ position: string }>('SELECT position::text FROM events WHERE event_id = $1', [ids[2]]);
      expect(await rowPosition()).toBe(rows[0]!.position);
    } finally {
      client.release();
    }
  });
});

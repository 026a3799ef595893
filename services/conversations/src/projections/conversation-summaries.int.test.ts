import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Conversation, Message } from '@pneumatic/contracts';
import {
  EventStream,
  ProjectionRunner,
  catchUpProjection,
  connectDatabase,
  migrate,
  resetProjection,
  withTransaction,
  type Database,
  type PoolClient,
  type RelayedEvent,
} from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { applySummaryChange, applySummaryChanges, conversationSummaries, summaryChangeOf, type SummaryChange } from './conversation-summaries';
import { withSummaries } from './summary-view';

/** The summaries projection over a real JetStream stream; the events stand in for the messages service's relay. */
describe('conversation summaries projection', () => {
  let ctx: TestContext;
  let db: Database;
  let stream: EventStream;
  let runner: ProjectionRunner;
  const projection = () => conversationSummaries(ctx.logger);
  const [alice, bob] = [randomUUID(), randomUUID()];
  let streamVersion = 0;

  beforeAll(async () => {
    ctx = await createTestContext('conversation_summaries');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'conversations', logger: ctx.logger });
    await migrate(db, 'conversations', path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
    stream = await EventStream.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'summaries-test', logger: ctx.logger });
    runner = new ProjectionRunner({ db, stream, projection: projection(), logger: ctx.logger, standbyRetryMs: 100 });
    runner.start();
  });
  afterAll(async () => {
    await runner.stop();
    await stream.destroy();
    await stream.close();
    await db.end();
    await ctx.cleanup();
  });

  const relay = async (conversationId: string, type: string, data: unknown) => {
    const event: RelayedEvent = { id: randomUUID(), type, version: 1, time: new Date().toISOString(), stream_id: conversationId, stream_version: ++streamVersion, data };
    const ack = await stream.publish(`events.messages.${type}`, new TextEncoder().encode(JSON.stringify(event)), event.id);
    return ack.seq;
  };
  const message = (conversationId: string, seq: number, senderId: string): Message => ({
    id: randomUUID(),
    message_id: `m-${seq}`,
    conversation_id: conversationId,
    seq,
    sender_id: senderId,
    sender_username: senderId === alice ? 'alice' : 'bob',
    content: `message ${seq}`,
    created_at: new Date(Date.now() + seq).toISOString(),
    edited_at: null,
    deleted: false,
    reactions: {},
    mentions: [],
  });
  const view = (id: string, createdAt = new Date(0).toISOString()): Conversation => ({
    id,
    title: '',
    kind: 'direct',
    members: [alice, bob],
    member_count: 2,
    last_message: null,
    last_seq: 0,
    unread_count: 0,
    created_at: createdAt,
  });
  const rows = async () =>
    (await db.query('SELECT * FROM conversation_summaries ORDER BY conversation_id')).rows.concat(
      (await db.query('SELECT * FROM read_cursors ORDER BY conversation_id, user_id')).rows,
    );
  const checkpoint = async () => Number((await db.query("SELECT stream_sequence FROM projection_checkpoints WHERE name = 'conversation_summaries'")).rows[0]?.stream_sequence ?? 0);

  it('projects last message, last seq and per-reader unread counts, keeping the order given', async () => {
    const [quiet, busy] = [randomUUID(), randomUUID()];
    await relay(quiet, 'message.sent', { message: message(quiet, 1, alice) });
    const sent = [1, 2, 3].map((seq) => message(busy, seq, seq === 1 ? alice : bob));
    for (const m of sent) await relay(busy, 'message.sent', { message: m });
    await relay(busy, 'message.edited', { messageId: sent[2]!.id, content: 'edited', editedAt: new Date().toISOString(), editedBy: bob });
    await relay(busy, 'message.reaction', { messageId: sent[2]!.id, emoji: '🎉', userId: alice, action: 'add', at: new Date().toISOString() });
    await relay(busy, 'message.read', { userId: alice, seq: 2, readAt: new Date().toISOString() });

    const listed = await waitFor('the summaries to catch up', async () => {
      const list = await withSummaries(db, alice, [view(busy), view(quiet), view(randomUUID(), new Date(1).toISOString())]);
      return list[0]?.id === busy && list[0].unread_count === 1 && list[0].last_message?.reactions['🎉'] ? list : false;
    }, 10_000);
    expect(listed[0]).toMatchObject({ last_seq: 3, unread_count: 1, last_message: { id: sent[2]!.id, content: 'edited', reactions: { '🎉': [alice] } } });
    expect(listed[1]).toMatchObject({ id: quiet, last_seq: 1, unread_count: 0 }); // her own message counts as read
    expect(listed[2]).toMatchObject({ last_message: null, last_seq: 0 });
    const [forBob] = await withSummaries(db, bob, [view(busy)]);
    expect(forBob!.unread_count).toBe(0);
  });

  it('rebuilds from the stream to the same rows, while the live runner keeps going', async () => {
    const conversation = randomUUID();
    const target = await relay(conversation, 'message.sent', { message: message(conversation, 1, bob) });
    await waitFor('the live projection to reach the stream end', async () => (await checkpoint()) >= target, 10_000);
    const live = await rows();
    expect(JSON.stringify(live)).toContain(conversation);

    await resetProjection(db, projection());
    expect(await rows()).toEqual([]);
    await catchUpProjection({ db, stream, projection: projection(), logger: ctx.logger });
    await waitFor('the checkpoint back at the end', async () => (await checkpoint()) >= target, 10_000);
    expect(await rows()).toEqual(live);
  });

  it('replays every stored message event fixture through the current projection', async () => {
    const dir = path.resolve(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'fixtures', 'events');
    const fixtures = readdirSync(dir)
      .filter((name) => name.startsWith('message.'))
      .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RelayedEvent)
      .sort((a, b) => a.stream_version! - b.stream_version!);
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
    await withTransaction(db, async (tx) => {
      for (const event of fixtures) {
        const change = summaryChangeOf(event);
        expect(change).not.toBeNull();
        await applySummaryChange(tx, change!);
      }
      const { rows: [summary] } = await tx.query('SELECT last_seq, last_message FROM conversation_summaries WHERE conversation_id = $1', [fixtures[0]!.stream_id]);
      expect(summary).toMatchObject({ last_seq: '2', last_message: { seq: 2, deleted: true, content: '' } });
      await tx.query('ROLLBACK');
      await tx.query('BEGIN'); // leave nothing behind; withTransaction commits an empty transaction
    });
  });

  it('coalesces a batch of changes into the same rows as applying them one by one', async () => {
    const [c1, c2, ann, ben] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const sent = (conversationId: string, seq: number, sender: string): SummaryChange => ({
      kind: 'sent',
      conversationId,
      message: {
        id: randomUUID(),
        message_id: `m${seq}`,
        conversation_id: conversationId,
        seq,
        sender_id: sender,
        sender_username: 'x',
        content: `hello ${seq}`,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
        edited_at: null,
        deleted: false,
        reactions: {},
        mentions: [],
      },
    });
    const idOf = (change: SummaryChange) => (change as Extract<SummaryChange, { kind: 'sent' }>).message.id;
    const [c1Third, c2Second] = [sent(c1, 3, ann), sent(c2, 2, ann)];
    // Each conversation's last change names the message sent just before it in the same batch.
    const changes: SummaryChange[] = [
      sent(c1, 1, ann),
      sent(c1, 2, ben),
      sent(c2, 1, ben),
      { kind: 'read', conversationId: c1, userId: ann, seq: 2 },
      { kind: 'edited', conversationId: c1, messageId: randomUUID(), content: 'not a summary', editedAt: new Date().toISOString() },
      c1Third,
      c2Second,
      { kind: 'reaction', conversationId: c1, messageId: idOf(c1Third), emoji: '👍', userId: ben, action: 'add' },
      { kind: 'deleted', conversationId: c2, messageId: idOf(c2Second) },
    ];
    const state = async (tx: PoolClient) => ({
      summaries: (await tx.query('SELECT conversation_id, last_seq, last_message FROM conversation_summaries WHERE conversation_id = ANY($1) ORDER BY 1', [[c1, c2]])).rows,
      cursors: (await tx.query('SELECT conversation_id, user_id, seq FROM read_cursors WHERE conversation_id = ANY($1) ORDER BY 1, 2', [[c1, c2]])).rows,
    });
    const oneByOne = await inRolledBackTransaction(async (tx) => {
      for (const change of changes) await applySummaryChange(tx, change);
      return state(tx);
    });
    const batched = await inRolledBackTransaction(async (tx) => {
      await applySummaryChanges(tx, changes);
      return state(tx);
    });
    expect(batched).toEqual(oneByOne);
    expect(oneByOne.summaries).toMatchObject([
      { conversation_id: expect.any(String), last_seq: expect.any(String) },
      { conversation_id: expect.any(String), last_seq: expect.any(String) },
    ]);
    const byId = Object.fromEntries(batched.summaries.map((r) => [r.conversation_id, r.last_message]));
    expect(byId[c1]).toMatchObject({ seq: 3, reactions: { '👍': [ben] } });
    expect(byId[c2]).toMatchObject({ seq: 2, deleted: true, content: '' });
  });

  async function inRolledBackTransaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }
});

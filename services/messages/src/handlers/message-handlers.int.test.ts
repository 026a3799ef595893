import { MessageSentV1, contracts, conversationSubject } from '@pneumatic/contracts';
import { Bus, connectDatabase, migrate, type Database } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { MessageStore } from '../store/message-store';
import { registerMessageHandlers } from './message-handlers';

describe('message handlers (real Postgres and NATS)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let db: Database;
  const alice = randomUUID();
  const bob = randomUUID();
  const mallory = randomUUID();
  const conversation = randomUUID();
  const room = randomUUID();
  const membersOf = new Map<string, string[]>([
    [conversation, [alice, bob]],
    [room, [alice]],
  ]);

  beforeAll(async () => {
    ctx = await createTestContext('messages');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrate(db, 'messages', path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
    bus = await ctx.connectBus();
    // Stands in for the conversations service.
    bus.serve(
      contracts.conversationsMembership,
      async ({ conversation_id, user_id }) => ({
        exists: membersOf.has(conversation_id),
        member: membersOf.get(conversation_id)?.includes(user_id) ?? false,
      }),
      { queue: 'conversations' },
    );
    registerMessageHandlers(bus, new MessageStore(db));
    await bus.flush();
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const send = (actor: string, content: string, messageId: string = randomUUID(), conversationId: string = conversation) =>
    bus.call(contracts.messagesSend, {
      actor_id: actor,
      sender_username: actor === alice ? 'alice' : 'bob',
      conversation_id: conversationId,
      message_id: messageId,
      content,
    });

  it('appends messages with gap-free seq and publishes each on the conversation subject', async () => {
    const heard: number[] = [];
    bus.subscribe(conversationSubject(conversation), MessageSentV1, (e) => heard.push(e.data.message.seq));
    await bus.flush();
    const first = await send(alice, 'Hi Bob!');
    const second = await send(bob, 'Hi Alice!');
    expect(second.message.seq).toBe(first.message.seq + 1);
    expect(first.duplicate).toBe(false);
    await waitFor('both published', () => heard.length >= 2);
    expect(heard).toEqual([first.message.seq, second.message.seq]);
  });

  it('answers a retry of the same message_id with the original, stored once, even under a storm of retries', async () => {
    const messageId = 'fixed-id-123';
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(alice, 'Hello', messageId)));
    const ids = new Set(replies.map((r) => r.message.id));
    expect(ids.size).toBe(1);
    expect(replies.filter((r) => !r.duplicate)).toHaveLength(1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM history WHERE client_message_id = $1', [messageId]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses a non-member and an unknown conversation', async () => {
    await expect(send(mallory, 'let me in')).rejects.toMatchObject({ code: 'not_a_member' });
    await expect(send(alice, 'hello?', randomUUID(), randomUUID())).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      bus.call(contracts.messagesHistory, { actor_id: mallory, conversation_id: conversation, limit: 50 }),
    ).rejects.toMatchObject({ code: 'not_a_member', detail: 'not a member of this conversation' });
  });

  it('pages history by seq in ascending order with has_more in the direction read', async () => {
    for (let i = 1; i <= 7; i++) await send(alice, `m${i}`, randomUUID(), room);
    const page = (q: { limit: number; before_seq?: number; after_seq?: number }) =>
      bus.call(contracts.messagesHistory, { actor_id: alice, conversation_id: room, ...q });
    const newest = await page({ limit: 3 });
    expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(newest.has_more).toBe(true);
    const older = await page({ limit: 3, before_seq: 5 });
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    const oldest = await page({ limit: 3, before_seq: 2 });
    expect(oldest).toMatchObject({ has_more: false });
    expect(oldest.messages.map((m) => m.content)).toEqual(['m1']);
    const newer = await page({ limit: 4, after_seq: 3 });
    expect(newer.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7]);
    expect(newer.has_more).toBe(false);
  });
});

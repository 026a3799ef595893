import {
  DomainError,
  MessageDeletedV1,
  MessageEditedV1,
  MessageReactionV1,
  MessageSentV1,
  ReadReceiptV1,
  contracts,
  conversationSubject,
  type Message,
} from '@pneumatic/contracts';
import { Bus, connectDatabase, type Database } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { GroupCommit } from '../store/group-commit';
import { MessageStore } from '../store/message-store';
import { findUsersByName } from '../projections/user-directory';
import { registerMessageHandlers } from './message-handlers';
import { migrateMessages } from '../store/messages-schema';

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
  const usernames = new Map<string, string>([
    [alice, 'alice'],
    [bob, 'bob'],
    [mallory, 'mallory'],
  ]);

  beforeAll(async () => {
    ctx = await createTestContext('messages');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
    bus = await ctx.connectBus();
    // Stand in for the conversations and auth services, over the same real NATS.
    bus.serve(
      contracts.conversationsMembership,
      async ({ conversation_id, user_id }) => ({
        exists: membersOf.has(conversation_id),
        member: membersOf.get(conversation_id)?.includes(user_id) ?? false,
      }),
      { queue: 'conversations' },
    );
    bus.serve(
      contracts.conversationsGet,
      async ({ conversation_id, actor_id }) => {
        const members = membersOf.get(conversation_id)!;
        if (!members.includes(actor_id)) throw new DomainError('not_a_member', 'not a member of this conversation');
        return {
          id: conversation_id,
          title: 't',
          kind: 'group' as const,
          members,
          member_count: members.length,
          last_message: null,
          last_seq: 0,
          unread_count: 0,
          created_at: new Date().toISOString(),
        };
      },
      { queue: 'conversations' },
    );
    bus.serve(
      contracts.usersResolve,
      async ({ usernames: names }) => ({
        users: [...usernames].filter(([, name]) => names.includes(name)).map(([id, username]) => ({ id, username, full_name: null })),
      }),
      { queue: 'auth' },
    );
    const store = new MessageStore(db);
    const groupCommit = new GroupCommit(store, { maxBatch: 50, windowMs: 5, maxQueued: 500, maxInFlight: 2 }, ctx.logger);
    // The directory stays empty here, so mentions take the fallback to the usersResolve stand-in.
    const directory = (names: string[]) => findUsersByName(db, names);
    const bounds = { historyPageMaxBytes: 256 * 1024, reactions: { emojiPerMessage: 50, perUser: 20, perMessage: 1000 } };
    registerMessageHandlers({ bus, store, appendMessage: (item) => groupCommit.append(item), logger: ctx.logger, directory, bounds });
    await bus.flush();
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const send = (actor: string, content: string, messageId: string = randomUUID(), conversationId: string = conversation) =>
    bus.call(contracts.messagesSend, {
      actor_id: actor,
      sender_username: usernames.get(actor)!,
      conversation_id: conversationId,
      message_id: messageId,
      content,
    });

  /** Records what is published on a conversation's subject for one event name. */
  async function hear<S extends z.ZodType>(name: string, schema: S, conversationId = conversation) {
    const heard: z.infer<S>[] = [];
    bus.subscribe(conversationSubject(conversationId, name), schema, (e) => heard.push(e));
    await bus.flush();
    return heard;
  }

  it('appends messages with gap-free seq and publishes each on the conversation subject', async () => {
    const heard = await hear('message', MessageSentV1);
    const first = await send(alice, 'Hi Bob!');
    const second = await send(bob, 'Hi Alice!');
    expect(second.message.seq).toBe(first.message.seq + 1);
    expect(first.duplicate).toBe(false);
    await waitFor('both published', () => heard.length >= 2);
    expect(heard.map((e) => e.data.message.seq)).toEqual([first.message.seq, second.message.seq]);
  });

  it('answers a retry of the same message_id with the original, stored once, even under a storm of retries', async () => {
    const messageId = 'fixed-id-123';
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(alice, 'Hello', messageId)));
    expect(new Set(replies.map((r) => r.message.id)).size).toBe(1);
    expect(replies.filter((r) => !r.duplicate)).toHaveLength(1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM history WHERE client_message_id = $1', [messageId]);
    expect(rows[0].n).toBe(1);
  });

  it('gives concurrent sends to one conversation consecutive seqs', async () => {
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => send(alice, `burst ${i}`, randomUUID(), room)));
    const seqs = replies.map((r) => r.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    const { rows } = await db.query('SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d FROM history WHERE conversation_id = $1', [room]);
    expect(rows[0]).toEqual({ n: 30, d: 30 });
  });

  it('lists the mentioned members, ignoring non-members and unknown names', async () => {
    const { message } = await send(alice, 'hey @bob and @mallory and @nobody_here');
    expect(message.mentions).toEqual([bob]);
  });

  it('refuses a non-member and an unknown conversation', async () => {
    await expect(send(mallory, 'let me in')).rejects.toMatchObject({ code: 'not_a_member' });
    await expect(send(mallory, 'let me in, @alice')).rejects.toMatchObject({ code: 'not_a_member' });
    await expect(send(alice, 'hello?', randomUUID(), randomUUID())).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      bus.call(contracts.messagesHistory, { actor_id: mallory, conversation_id: conversation, limit: 50 }),
    ).rejects.toMatchObject({ code: 'not_a_member', detail: 'not a member of this conversation' });
  });

  describe('changes to a message', () => {
    let original: Message;
    beforeAll(async () => {
      original = (await send(alice, 'typo', 'to-change')).message;
    });

    it('lets the sender edit by server id or by client message_id, and publishes the edit', async () => {
      const heard = await hear('message_edited', MessageEditedV1);
      const edited = await bus.call(contracts.messagesEdit, { actor_id: alice, message_id: 'to-change', content: 'fixed' });
      expect(edited).toMatchObject({ id: original.id, content: 'fixed', edited_at: expect.any(String), deleted: false });
      const again = await bus.call(contracts.messagesEdit, { actor_id: alice, message_id: original.id, content: 'fixed twice' });
      expect(again.content).toBe('fixed twice');
      await waitFor('edits published', () => heard.length >= 2);
      expect(heard[1]!.data.message.content).toBe('fixed twice');
      await expect(bus.call(contracts.messagesEdit, { actor_id: bob, message_id: original.id, content: 'mine' })).rejects.toMatchObject({
        code: 'forbidden',
      });
      await expect(bus.call(contracts.messagesEdit, { actor_id: mallory, message_id: original.id, content: 'x' })).rejects.toMatchObject({
        code: 'not_a_member',
      });
      await expect(bus.call(contracts.messagesEdit, { actor_id: alice, message_id: randomUUID(), content: 'x' })).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('adds and removes reactions, replying with the message and publishing each change', async () => {
      const heard = await hear('message_reaction', MessageReactionV1);
      const react = (actor_id: string, action: 'add' | 'remove') =>
        bus.call(contracts.messagesReact, { actor_id, message_id: original.id, emoji: '👍', action });
      await react(alice, 'add');
      expect((await react(bob, 'add')).reactions).toEqual({ '👍': [alice, bob] });
      expect((await react(alice, 'remove')).reactions).toEqual({ '👍': [bob] });
      await waitFor('reactions published', () => heard.length >= 3);
      expect(heard.map((e) => [e.data.user_id, e.data.action])).toEqual([
        [alice, 'add'],
        [bob, 'add'],
        [alice, 'remove'],
      ]);
      const [row] = (await bus.call(contracts.messagesHistory, { actor_id: bob, conversation_id: conversation, after_seq: original.seq - 1, limit: 1 }))
        .messages;
      expect(row!.reactions).toEqual({ '👍': [bob] });
    });

    it('tombstones a deleted message in history and refuses edits and reactions afterwards', async () => {
      const heard = await hear('message_deleted', MessageDeletedV1);
      const deleted = await bus.call(contracts.messagesDelete, { actor_id: alice, message_id: original.id });
      expect(deleted).toMatchObject({ id: original.id, content: '', deleted: true });
      await waitFor('deletion published', () => heard.length >= 1);
      const page = await bus.call(contracts.messagesHistory, { actor_id: bob, conversation_id: conversation, after_seq: original.seq - 1, limit: 1 });
      expect(page.messages[0]).toMatchObject({ id: original.id, content: '', deleted: true });
      await expect(bus.call(contracts.messagesEdit, { actor_id: alice, message_id: original.id, content: 'undo' })).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(
        bus.call(contracts.messagesReact, { actor_id: bob, message_id: original.id, emoji: '🎉', action: 'add' }),
      ).rejects.toMatchObject({ code: 'conflict' });
    });
  });

  it('moves a read cursor forward only and publishes each move', async () => {
    const heard = await hear('read', ReadReceiptV1);
    const last = (await send(alice, 'read me')).message.seq;
    const read = (seq: number) => bus.call(contracts.messagesRead, { actor_id: bob, conversation_id: conversation, seq });
    expect(await read(2)).toEqual({ seq: 2, moved: true });
    expect(await read(1)).toEqual({ seq: 2, moved: false });
    expect(await read(last + 100)).toEqual({ seq: last, moved: true });
    await waitFor('reads published', () => heard.length >= 2);
    expect(heard.map((e) => e.data)).toEqual([
      { conversation_id: conversation, user_id: bob, seq: 2 },
      { conversation_id: conversation, user_id: bob, seq: last },
    ]);
    await expect(bus.call(contracts.messagesRead, { actor_id: mallory, conversation_id: conversation, seq: 1 })).rejects.toMatchObject({
      code: 'not_a_member',
    });
  });

  it('stores events with metadata for correlation and tracing', async () => {
    const { rows } = await db.query(`SELECT metadata FROM events WHERE type = 'message.sent' LIMIT 1`);
    expect(rows[0].metadata).toEqual({ correlation_id: expect.any(String), causation_id: expect.any(String), traceparent: null });
  });

  it('pages history by seq in ascending order with has_more in the direction read', async () => {
    const pageRoom = randomUUID();
    membersOf.set(pageRoom, [alice]);
    for (let i = 1; i <= 7; i++) await send(alice, `m${i}`, randomUUID(), pageRoom);
    const page = (q: { limit: number; before_seq?: number; after_seq?: number }) =>
      bus.call(contracts.messagesHistory, { actor_id: alice, conversation_id: pageRoom, ...q });
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

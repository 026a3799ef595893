import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ConversationCreatedV1,
  MemberAddedV1,
  MemberRemovedV1,
  contracts,
  conversationSubject,
  userSubject,
  type Conversation,
} from '@pneumatic/contracts';
import { connectDatabase, migrate, type Bus, type Database } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { withSummaries } from '../projections/summary-view';
import { ConversationStore } from '../store/conversation-store';
import { registerConversationHandlers } from './conversation-handlers';

describe('conversation handlers (real Postgres and NATS)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let db: Database;
  const [alice, bob, carol, dave, erin, frank, gina, hank] = Array.from({ length: 8 }, () => randomUUID());
  const known = new Set<string>([alice, bob, carol, dave, erin, frank, gina, hank]);

  beforeAll(async () => {
    ctx = await createTestContext('conversations');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'conversations', logger: ctx.logger });
    await migrate(db, 'conversations', path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
    bus = await ctx.connectBus();
    registerConversationHandlers(bus, new ConversationStore(db), ctx.logger, (reader, views) => withSummaries(db, reader, views));
    // Stands in for the auth service, over the same real NATS: it knows a fixed set of users.
    bus.serve(
      contracts.usersLookup,
      async ({ user_ids }) => ({
        users: user_ids.filter((id) => known.has(id)).map((id) => ({ id, username: `u${id.slice(0, 8)}`, full_name: null })),
      }),
      { queue: 'auth' },
    );
    await bus.flush();
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const create = (actor_id: string, title: string, member_ids: string[], kind?: 'group') =>
    bus.call(contracts.conversationsCreate, { actor_id, title, member_ids, ...(kind ? { kind } : {}) });
  const group = (actor_id: string, title: string, member_ids: string[]) => create(actor_id, title, member_ids, 'group');

  it('creates a group with the caller as a member', async () => {
    const { conversation, created } = await create(alice, 'Team', [bob, carol]);
    expect(created).toBe(true);
    expect(conversation).toMatchObject({ title: 'Team', kind: 'group', member_count: 3, last_message: null, last_seq: 0, unread_count: 0 });
    expect([...conversation.members].sort()).toEqual([alice, bob, carol].sort());
    expect(await bus.call(contracts.conversationsGet, { actor_id: bob, conversation_id: conversation.id })).toEqual(conversation);
  });

  it('returns the existing direct conversation when it is created again, from either side', async () => {
    const first = await create(alice, '', [bob]);
    expect(first).toMatchObject({ created: true, conversation: { kind: 'direct', title: '', member_count: 2 } });
    const again = await create(alice, '', [bob]);
    const fromBob = await create(bob, '', [alice, bob]);
    expect(again).toEqual({ conversation: first.conversation, created: false });
    expect(fromBob).toEqual({ conversation: first.conversation, created: false });
  });

  it("returns the pair's direct conversation to both users whatever the title (seed 001's client titles it)", async () => {
    const first = await create(gina, 'Hank', [hank]);
    expect(first).toMatchObject({ created: true, conversation: { kind: 'direct', title: 'Hank', member_count: 2 } });
    expect(await create(gina, 'Hank', [hank])).toEqual({ conversation: first.conversation, created: false });
    expect(await create(hank, 'Gina', [gina])).toEqual({ conversation: first.conversation, created: false });
    expect(await create(hank, '', [gina])).toEqual({ conversation: first.conversation, created: false });
  });

  it('makes one direct conversation when both users create it with titles at once', async () => {
    const [x, y] = [randomUUID(), randomUUID()];
    known.add(x).add(y);
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? create(x, 'Y', [y]) : create(y, 'X', [x]))));
    expect(new Set(replies.map((r) => r.conversation.id)).size).toBe(1);
    expect(replies.filter((r) => r.created)).toHaveLength(1);
    expect(replies[0]!.conversation.kind).toBe('direct');
  });

  it('makes a new group of two each time kind "group" is asked for', async () => {
    const one = await group(gina, 'Book club', [hank]);
    const two = await group(hank, 'Book club', [gina]);
    expect(one).toMatchObject({ created: true, conversation: { kind: 'group', member_count: 2 } });
    expect(two).toMatchObject({ created: true, conversation: { kind: 'group', member_count: 2 } });
    expect(two.conversation.id).not.toBe(one.conversation.id);
    await expect(group(gina, '', [hank])).rejects.toMatchObject({ code: 'validation_error', detail: 'title: a group conversation needs a title' });
  });

  it('makes one direct conversation out of concurrent creates', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => create(carol, '', [dave])));
    expect(new Set(replies.map((r) => r.conversation.id)).size).toBe(1);
    expect(replies.filter((r) => r.created)).toHaveLength(1);
    // The losers rolled back: their streams hold no events.
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM events WHERE type = 'conversation.created' AND data->'members' @> $1::jsonb`,
      [JSON.stringify([carol, dave])],
    );
    expect(rows[0].n).toBe(1);
  });

  it('rejects an unknown member id', async () => {
    const stranger = randomUUID();
    await expect(create(alice, 'Team', [bob, stranger])).rejects.toMatchObject({
      code: 'validation_error',
      detail: `member_ids: unknown user id ${stranger}`,
    });
  });

  it('rejects a group without a title before asking about its members', async () => {
    await expect(create(alice, '', [bob, randomUUID()])).rejects.toMatchObject({
      code: 'validation_error',
      detail: 'title: a group conversation needs a title',
    });
  });

  it('tells a non-member from an unknown conversation', async () => {
    const { conversation } = await group(alice, 'Private', [bob]);
    await expect(bus.call(contracts.conversationsGet, { actor_id: carol, conversation_id: conversation.id })).rejects.toMatchObject({
      code: 'not_a_member',
      detail: 'not a member of this conversation',
    });
    await expect(bus.call(contracts.conversationsGet, { actor_id: alice, conversation_id: randomUUID() })).rejects.toMatchObject({
      code: 'not_found',
      detail: 'conversation not found',
    });
  });

  it("lists only the caller's conversations, newest first", async () => {
    const made: Conversation[] = [];
    for (const title of ['One', 'Two', 'Three']) {
      made.push((await create(erin, title, [])).conversation);
      await new Promise((r) => setTimeout(r, 5));
    }
    const direct = (await create(frank, '', [erin])).conversation;
    const { conversations } = await bus.call(contracts.conversationsList, { actor_id: erin });
    expect(conversations.map((c) => c.id)).toEqual([direct.id, ...made.map((c) => c.id).reverse()]);
    const forFrank = await bus.call(contracts.conversationsList, { actor_id: frank });
    expect(forFrank.conversations.map((c) => c.id)).toEqual([direct.id]);
  });

  describe('paging the list', () => {
    const list = (actor_id: string, limit?: number, cursor?: string) =>
      bus.call(contracts.conversationsList, { actor_id, ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });
    async function everyPage(actor_id: string, limit?: number) {
      const pages: Conversation[][] = [];
      let cursor: string | undefined;
      do {
        const page = await list(actor_id, limit, cursor);
        pages.push(page.conversations);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && pages.length < 100);
      return pages;
    }
    const lastMessage = (conversationId: string, content: string, createdAt: string) => ({
      id: randomUUID(),
      message_id: randomUUID(),
      conversation_id: conversationId,
      seq: 1,
      sender_id: alice,
      sender_username: 'alice',
      content,
      created_at: createdAt,
      edited_at: null,
      deleted: false,
      reactions: {},
      mentions: [],
    });
    /** What the summaries projection would write for a message sent at `at`. */
    const summarize = async (conversationId: string, content: string, at: string) => {
      await db.query(
        `INSERT INTO conversation_summaries (conversation_id, last_seq, last_message, last_activity_at) VALUES ($1, 1, $2, $3)`,
        [conversationId, JSON.stringify(lastMessage(conversationId, content, at)), at],
      );
    };

    it('is complete and ordered by newest activity, ties by id, page after page', async () => {
      const reader = randomUUID();
      known.add(reader);
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await group(reader, `Paged ${i}`, [])).conversation.id);
      // Three share one activity instant, one is active later than all: the order must not depend on creation alone.
      const tie = '2030-01-01T00:00:00.000Z';
      for (const id of made.slice(0, 3)) await summarize(id, 'tie', tie);
      await summarize(made[6]!, 'newest', '2031-01-01T00:00:00.000Z');
      const whole = (await list(reader, 500)).conversations.map((c) => c.id);
      const expected = [made[6]!, ...made.slice(0, 3).sort().reverse(), made[5]!, made[4]!, made[3]!];
      expect(whole).toEqual(expected);
      for (const limit of [1, 2, 3]) {
        const pages = await everyPage(reader, limit);
        expect(pages.flat().map((c) => c.id)).toEqual(expected);
        expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      }
      expect((await list(reader)).next_cursor).toBeNull();
    });

    it('ends a page early at its byte budget: 56 groups with a 24 KB last message each', async () => {
      const reader = randomUUID();
      known.add(reader);
      // 4,000 control characters are 24,000 bytes as JSON; 56 summaries of them pass a NATS message.
      const heavy = '\u0001'.repeat(4000);
      const ids: string[] = [];
      for (let i = 0; i < 56; i++) {
        const { conversation } = await group(reader, `Heavy ${i}`, []);
        await summarize(conversation.id, heavy, new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString());
        ids.push(conversation.id);
      }
      const first = await list(reader, 100);
      expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(512 * 1024 + 1024);
      expect(first.conversations.length).toBeGreaterThan(0);
      expect(first.conversations.length).toBeLessThan(56);
      expect(first.next_cursor).not.toBeNull();
      const pages = await everyPage(reader, 100);
      expect(pages.flat().map((c) => c.id)).toEqual([...ids].reverse());
      expect(pages.flat().every((c) => c.last_message?.content === heavy)).toBe(true);
      // Still answering.
      expect((await list(reader, 1)).conversations).toHaveLength(1);
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(list(alice, 10, 'bm90LWEtY3Vyc29y')).rejects.toMatchObject({ code: 'validation_error', detail: 'cursor: not a cursor from a previous page' });
    });

    it("pages a user's conversation ids in id order for the gateway", async () => {
      const reader = randomUUID();
      known.add(reader);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await group(reader, `Ids ${i}`, [])).conversation.id);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await bus.call(contracts.conversationsIdsOf, { user_id: reader, limit: 2, ...(after ? { after } : {}) });
        expect(page.conversation_ids.length).toBeLessThanOrEqual(2);
        seen.push(...page.conversation_ids);
        after = page.next_after ?? undefined;
      } while (after);
      expect(seen).toEqual([...made].sort());
    });
  });

  it('answers membership, telling a missing conversation from a non-member', async () => {
    const { conversation } = await group(alice, 'Members', [bob]);
    const membership = (conversation_id: string, user_id: string) =>
      bus.call(contracts.conversationsMembership, { conversation_id, user_id });
    expect(await membership(conversation.id, bob)).toEqual({ exists: true, member: true });
    expect(await membership(conversation.id, carol)).toEqual({ exists: true, member: false });
    expect(await membership(randomUUID(), bob)).toEqual({ exists: false, member: false });
  });

  it("announces a new conversation on every member's subject, once", async () => {
    await create(carol, '', [dave]);
    const heard = new Map<string, string[]>();
    const subscriptions = [alice, carol, dave, frank].map((user) =>
      bus.subscribe(userSubject(user, 'conversation_created'), ConversationCreatedV1, (envelope) => {
        heard.set(user, [...(heard.get(user) ?? []), envelope.data.conversation.id]);
      }),
    );
    await bus.flush();
    const { conversation } = await create(alice, 'Launch', [carol, dave]);
    await waitFor('every member notified', () => [alice, carol, dave].every((u) => heard.get(u)?.includes(conversation.id)));
    // A repeated direct create is not news.
    await create(carol, '', [dave]);
    await bus.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.get(alice)).toEqual([conversation.id]);
    expect(heard.get(carol)).toEqual([conversation.id]);
    expect(heard.get(dave)).toEqual([conversation.id]);
    expect(heard.get(frank)).toBeUndefined();
    subscriptions.forEach((s) => s.unsubscribe());
  });

  describe('membership changes', () => {
    it('adds members to a group, telling the others and the newcomer', async () => {
      const { conversation } = await group(alice, 'Growing', [bob]);
      const added: string[] = [];
      const toNewcomer: string[] = [];
      bus.subscribe(conversationSubject(conversation.id, 'member_added'), MemberAddedV1, (e) => added.push(e.data.user_id));
      bus.subscribe(userSubject(erin, 'conversation_created'), ConversationCreatedV1, (e) => toNewcomer.push(e.data.conversation.id));
      await bus.flush();
      const updated = await bus.call(contracts.conversationsAddMembers, { actor_id: bob, conversation_id: conversation.id, user_ids: [erin, alice] });
      expect([...updated.members].sort()).toEqual([alice, bob, erin].sort());
      expect(updated.member_count).toBe(3);
      await waitFor('others and newcomer told', () => added.length === 1 && toNewcomer.length === 1);
      expect(added).toEqual([erin]);
      expect(toNewcomer).toEqual([conversation.id]);
      // Adding again is a retry: same conversation, no news.
      expect((await bus.call(contracts.conversationsAddMembers, { actor_id: bob, conversation_id: conversation.id, user_ids: [erin] })).member_count).toBe(3);
    });

    it('refuses to add to a direct conversation, unknown users, and callers who are not members', async () => {
      const { conversation: direct } = await create(alice, '', [frank]);
      const add = (actor_id: string, conversation_id: string, user_ids: string[]) =>
        bus.call(contracts.conversationsAddMembers, { actor_id, conversation_id, user_ids });
      await expect(add(alice, direct.id, [bob])).rejects.toMatchObject({ code: 'validation_error' });
      const { conversation: closed } = await group(alice, 'Closed', [bob]);
      const stranger = randomUUID();
      await expect(add(alice, closed.id, [stranger])).rejects.toMatchObject({ code: 'validation_error', detail: `user_ids: unknown user id ${stranger}` });
      await expect(add(carol, closed.id, [dave])).rejects.toMatchObject({ code: 'not_a_member' });
      await expect(add(alice, randomUUID(), [dave])).rejects.toMatchObject({ code: 'not_found' });
    });

    it('lets a member leave or remove another, telling the rest and the one removed', async () => {
      const { conversation } = await create(alice, 'Shrinking', [bob, carol]);
      const removed: string[] = [];
      const toRemoved: string[] = [];
      bus.subscribe(conversationSubject(conversation.id, 'member_removed'), MemberRemovedV1, (e) => removed.push(e.data.user_id));
      bus.subscribe(userSubject(carol, 'member_removed'), MemberRemovedV1, (e) => toRemoved.push(e.data.conversation.id));
      await bus.flush();
      const remove = (actor_id: string, user_id: string) =>
        bus.call(contracts.conversationsRemoveMember, { actor_id, conversation_id: conversation.id, user_id });
      expect(await remove(alice, carol)).toEqual({});
      expect(await remove(bob, bob)).toEqual({});
      await waitFor('removals announced', () => removed.length === 2 && toRemoved.length === 1);
      expect(removed).toEqual([carol, bob]);
      expect((await bus.call(contracts.conversationsGet, { actor_id: alice, conversation_id: conversation.id })).members).toEqual([alice]);
      await expect(remove(carol, alice)).rejects.toMatchObject({ code: 'not_a_member' });
    });

    it('renames a group for its members only', async () => {
      const { conversation } = await group(alice, 'Old name', [bob]);
      const renamed = await bus.call(contracts.conversationsRename, { actor_id: bob, conversation_id: conversation.id, title: 'New name' });
      expect(renamed.title).toBe('New name');
      expect((await bus.call(contracts.conversationsGet, { actor_id: alice, conversation_id: conversation.id })).title).toBe('New name');
      await expect(
        bus.call(contracts.conversationsRename, { actor_id: carol, conversation_id: conversation.id, title: 'Hijacked' }),
      ).rejects.toMatchObject({ code: 'not_a_member' });
    });
  });
});

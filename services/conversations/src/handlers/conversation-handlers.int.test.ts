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
import { ConversationStore } from '../store/conversation-store';
import { registerConversationHandlers } from './conversation-handlers';

describe('conversation handlers (real Postgres and NATS)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let db: Database;
  const [alice, bob, carol, dave, erin, frank] = Array.from({ length: 6 }, () => randomUUID());
  const known = new Set<string>([alice, bob, carol, dave, erin, frank]);

  beforeAll(async () => {
    ctx = await createTestContext('conversations');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'conversations', logger: ctx.logger });
    await migrate(db, 'conversations', path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
    bus = await ctx.connectBus();
    registerConversationHandlers(bus, new ConversationStore(db), ctx.logger);
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

  const create = (actor_id: string, title: string, member_ids: string[]) =>
    bus.call(contracts.conversationsCreate, { actor_id, title, member_ids });

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
    const { conversation } = await create(alice, 'Private', [bob]);
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

  it('answers membership, telling a missing conversation from a non-member', async () => {
    const { conversation } = await create(alice, 'Members', [bob]);
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
      const { conversation } = await create(alice, 'Growing', [bob]);
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
      const { conversation: group } = await create(alice, 'Closed', [bob]);
      const stranger = randomUUID();
      await expect(add(alice, group.id, [stranger])).rejects.toMatchObject({ code: 'validation_error', detail: `user_ids: unknown user id ${stranger}` });
      await expect(add(carol, group.id, [dave])).rejects.toMatchObject({ code: 'not_a_member' });
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
      const { conversation } = await create(alice, 'Old name', [bob]);
      const renamed = await bus.call(contracts.conversationsRename, { actor_id: bob, conversation_id: conversation.id, title: 'New name' });
      expect(renamed.title).toBe('New name');
      expect((await bus.call(contracts.conversationsGet, { actor_id: alice, conversation_id: conversation.id })).title).toBe('New name');
      await expect(
        bus.call(contracts.conversationsRename, { actor_id: carol, conversation_id: conversation.id, title: 'Hijacked' }),
      ).rejects.toMatchObject({ code: 'not_a_member' });
    });
  });
});

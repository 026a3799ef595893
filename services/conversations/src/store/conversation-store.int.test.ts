import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectDatabase, migrate, type Database } from '@pneumatic/platform';
import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { decide, directKeyOf } from '../domain/conversation';
import { ConversationStore } from './conversation-store';

describe('conversation store (real Postgres)', () => {
  let ctx: TestContext;
  let db: Database;
  let store: ConversationStore;
  const now = new Date();

  beforeAll(async () => {
    ctx = await createTestContext('conversation_store');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'conversations', logger: ctx.logger });
    await migrate(db, 'conversations', path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
    store = new ConversationStore(db);
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const created = (actorId: string, title: string, memberIds: string[], kind?: 'group') =>
    decide({ type: 'CreateConversation', data: { conversationId: randomUUID(), actorId, title, memberIds, now, ...(kind ? { kind } : {}) } }, null)[0]!;

  it('returns the winner when another transaction commits the same direct pair first', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const winnerId = randomUUID();
    // The winner has inserted but not committed, so our pre-check sees nothing and our insert must wait.
    const winner = await db.connect();
    await winner.query('BEGIN');
    await winner.query(
      `INSERT INTO conversations (id, kind, title, created_by, created_at, direct_key) VALUES ($1, 'direct', '', $2, now(), $3)`,
      [winnerId, bob, directKeyOf([alice, bob])],
    );
    await winner.query('INSERT INTO members (conversation_id, user_id, joined_at) VALUES ($1, $2, now()), ($1, $3, now())', [winnerId, alice, bob]);
    const loser = store.create(created(alice, '', [bob]));
    await new Promise((r) => setTimeout(r, 100));
    await winner.query('COMMIT');
    winner.release();
    const result = await loser;
    expect(result.created).toBe(false);
    expect(result.conversation.id).toBe(winnerId);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM events WHERE data->>'createdBy' = $1", [alice]);
    expect(rows[0].n).toBe(0);
  });

  it('adds and removes group members through the stream, keeping the projection in step', async () => {
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const { conversation } = await store.create(created(alice, 'Team', [bob], 'group'));
    const added = await store.update(conversation.id, { type: 'AddMembers', data: { actorId: bob, userIds: [carol, bob], now } });
    expect(added.events).toHaveLength(1);
    expect([...added.conversation.members].sort()).toEqual([alice, bob, carol].sort());
    const removed = await store.update(conversation.id, { type: 'RemoveMember', data: { actorId: alice, userId: bob, now } });
    expect([...removed.conversation.members].sort()).toEqual([alice, carol].sort());
    expect(await store.membership(conversation.id, bob)).toEqual({ exists: true, member: false });
    expect(await store.idsOf(bob, null, 100)).not.toContain(conversation.id);
    expect((await store.pageFor(bob, null, 100)).map((r) => r.conversation.id)).not.toContain(conversation.id);
    const { rows } = await db.query('SELECT version FROM streams WHERE stream_id = $1', [conversation.id]);
    expect(rows[0].version).toBe(3);
  });

  it('refuses a command on a conversation that does not exist, leaving no stream behind', async () => {
    const id = randomUUID();
    await expect(store.update(id, { type: 'AddMembers', data: { actorId: randomUUID(), userIds: [randomUUID()], now } })).rejects.toMatchObject({
      code: 'not_found',
    });
    const { rows } = await db.query('SELECT count(*)::int AS n FROM streams WHERE stream_id = $1', [id]);
    expect(rows[0].n).toBe(0);
  });
});

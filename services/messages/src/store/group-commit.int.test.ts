import { DomainError } from '@pneumatic/contracts';
import { commandMetadata, connectDatabase, type Database } from '@pneumatic/platform';
import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { GroupCommit } from './group-commit';
import { MessageStore, type SendItem } from './message-store';
import { migrateMessages } from './messages-schema';

describe('group commit (real Postgres)', () => {
  let ctx: TestContext;
  let db: Database;
  let store: MessageStore;
  const alice = randomUUID();
  const bob = randomUUID();

  beforeAll(async () => {
    ctx = await createTestContext('group_commit');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
    store = new MessageStore(db);
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const item = (conversationId: string, clientMessageId: string, actorId = alice, content = clientMessageId): SendItem => ({
    request: { conversationId, clientMessageId, actorId, actorIsMember: true, senderUsername: 'u', content, mentions: [] },
    metadata: commandMetadata(randomUUID()),
  });

  it('stores a batch in one transaction: consecutive seqs per conversation, retries resolved to one message', async () => {
    const [c1, c2] = [randomUUID(), randomUUID()];
    const outcomes = await store.appendBatch([
      item(c1, 'a'),
      item(c2, 'x'),
      item(c1, 'b'),
      item(c1, 'a', alice, 'retry of a'),
      item(c1, 'c', bob),
      item(c2, 'y'),
    ]);
    const values = outcomes.map((o) => (o.ok ? o.value : undefined));
    expect(values.map((v) => [v?.message.conversation_id === c1 ? 'c1' : 'c2', v?.message.seq, v?.duplicate])).toEqual([
      ['c1', 1, false],
      ['c2', 1, false],
      ['c1', 2, false],
      ['c1', 1, true],
      ['c1', 3, false],
      ['c2', 2, false],
    ]);
    expect(values[3]!.message.id).toBe(values[0]!.message.id);
    const { rows } = await db.query(
      'SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1::uuid[]) GROUP BY stream_id ORDER BY n',
      [[c1, c2]],
    );
    expect(rows.map((r) => r.n)).toEqual([2, 3]);
  });

  it('fails only the send the decider refuses, and a client id reused in another conversation', async () => {
    const [c1, c2] = [randomUUID(), randomUUID()];
    const outsider = { ...item(c1, 'o'), request: { ...item(c1, 'o').request, actorIsMember: false } };
    const outcomes = await store.appendBatch([item(c1, 'p'), outsider, item(c2, 'p')]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false]);
    expect(outcomes.map((o) => (o.ok ? undefined : (o.error as DomainError).code))).toEqual([undefined, 'not_a_member', 'conflict']);
  });

  it.each([1, 3])('batches concurrent sends and keeps every seq once (%i batches in flight)', async (maxInFlight) => {
    const conversation = randomUUID();
    const groupCommit = new GroupCommit(store, { maxBatch: 8, windowMs: 5, maxQueued: 100, maxInFlight }, ctx.logger);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => groupCommit.append(item(conversation, `k${maxInFlight}-${i % 30}`))),
    );
    expect(new Set(results.map((r) => r.message.id)).size).toBe(30);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(30);
    expect(results.map((r) => r.message.seq).filter((_, i) => i < 30).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('refuses sends beyond the queue bound as overloaded', async () => {
    const groupCommit = new GroupCommit(store, { maxBatch: 2, windowMs: 5, maxQueued: 3, maxInFlight: 1 }, ctx.logger);
    const conversation = randomUUID();
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => groupCommit.append(item(conversation, `q${i}`))));
    const refused = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r instanceof DomainError && r.code === 'overloaded')).toBe(true);
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(3);
  });
});

import { commandMetadata, connectDatabase, readStream, withTransaction, type Database } from '@pneumatic/platform';
import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { MessageStore, type SendItem } from './message-store';
import { migrateMessages } from './messages-schema';

/**
 * A store that knows a conversation's tip writes a batch in one statement; these are the cases
 * where what it remembers is wrong and the careful path must take over without a trace.
 */
describe('message store sends from remembered stream tips (real Postgres)', () => {
  let ctx: TestContext;
  let db: Database;
  const alice = randomUUID();

  beforeAll(async () => {
    ctx = await createTestContext('message_store');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const item = (conversationId: string, clientMessageId: string): SendItem => ({
    request: { conversationId, clientMessageId, actorId: alice, actorIsMember: true, senderUsername: 'alice', content: clientMessageId, mentions: [] },
    metadata: commandMetadata(randomUUID()),
  });
  const send = async (store: MessageStore, conversationId: string, clientMessageId: string) => store.appendMessage(item(conversationId, clientMessageId));
  const streamOf = (conversationId: string) =>
    withTransaction(db, (tx) => readStream(tx, conversationId)).then((events) => events.map((e) => [e.streamVersion, e.type]));
  const seqsOf = async (conversationId: string) =>
    (await db.query('SELECT seq::int FROM history WHERE conversation_id = $1 ORDER BY seq', [conversationId])).rows.map((r) => r.seq);

  it('stores a send to a conversation it wrote before in one statement, outside any explicit transaction', async () => {
    const store = new MessageStore(db);
    const conversation = randomUUID();
    const statements = jest.spyOn(db, 'query');
    await send(store, conversation, 'first');
    expect(statements).not.toHaveBeenCalled();
    await send(store, conversation, 'second');
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(await seqsOf(conversation)).toEqual([1, 2]);
  });

  it('two replicas taking turns on one conversation keep seqs gap-free, each recovering from a stale tip', async () => {
    const [one, two] = [new MessageStore(db), new MessageStore(db)];
    const conversation = randomUUID();
    const seqs: number[] = [];
    for (let i = 0; i < 6; i++) seqs.push((await send(i % 2 === 0 ? one : two, conversation, `m${i}`)).message.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await seqsOf(conversation)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await streamOf(conversation)).map(([version]) => version)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a retry sent with the tip known returns the original instead of storing it twice', async () => {
    const store = new MessageStore(db);
    const conversation = randomUUID();
    const first = await send(store, conversation, 'once');
    await send(store, conversation, 'next');
    const retry = await send(store, conversation, 'once');
    expect(retry).toEqual({ message: first.message, duplicate: true });
    expect(await seqsOf(conversation)).toEqual([1, 2]);
  });

  it('a retry with the tip known raises no error in Postgres (no unique-violation line in its log)', async () => {
    const store = new MessageStore(db);
    const conversation = randomUUID();
    const first = await send(store, conversation, 'quiet-once');
    await send(store, conversation, 'quiet-next');
    const statements = jest.spyOn(db, 'query');
    const retry = await send(store, conversation, 'quiet-once');
    const failed = (await Promise.allSettled(statements.mock.results.map((r) => r.value))).filter((r) => r.status === 'rejected');
    statements.mockRestore();
    expect(retry).toEqual({ message: first.message, duplicate: true });
    expect(failed).toEqual([]);
    expect(await seqsOf(conversation)).toEqual([1, 2]);
    expect((await streamOf(conversation)).map(([version]) => version)).toEqual([1, 2]);
  });

  it('a read receipt or an edit moves the tip along, and the next send follows it', async () => {
    const [store, other] = [new MessageStore(db), new MessageStore(db)];
    const conversation = randomUUID();
    const sent = await send(store, conversation, 'hello');
    const now = new Date();
    await store.markRead(conversation, { type: 'MarkRead', actorId: alice, actorIsMember: true, seq: 1, now }, commandMetadata(randomUUID()));
    const edit = { type: 'EditMessage' as const, messageId: sent.message.id, actorId: alice, actorIsMember: true, content: 'hi', now };
    await other.changeMessage(conversation, edit, commandMetadata(randomUUID()));
    expect((await send(store, conversation, 'after')).message.seq).toBe(2);
    expect(await streamOf(conversation)).toEqual([
      [1, 'message.sent'],
      [2, 'message.read'],
      [3, 'message.edited'],
      [4, 'message.sent'],
    ]);
  });

  it('a batch spanning a known and an unknown conversation is stored whole', async () => {
    const store = new MessageStore(db);
    const [known, unknown] = [randomUUID(), randomUUID()];
    await send(store, known, 'k1');
    const outcomes = await store.appendBatch([item(known, 'k2'), item(unknown, 'u1'), item(known, 'k3')]);
    expect(outcomes.map((o) => (o.ok ? o.value.message.seq : o.error))).toEqual([2, 1, 3]);
  });
});

import { connectDatabase, withTransaction, type Database } from '@pneumatic/platform';
import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { migrateMessages } from './messages-schema';

/**
 * The one-statement append asks `sent_before` whether a batch retries stored sends. The statement
 * is prepared once per connection, so its plan is the generic one Postgres made on the first
 * batches, when history was nearly empty: an inline join then hashes a sequential scan of history,
 * every batch, however large the table grows.
 */
describe('sent_before (real Postgres)', () => {
  let ctx: TestContext;
  let db: Database;

  beforeAll(async () => {
    ctx = await createTestContext('sent_before');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const seed = async (sender: string, count: number) =>
    db.query(
      `INSERT INTO history (id, conversation_id, seq, client_message_id, sender_id, sender_username, content, created_at)
       SELECT gen_random_uuid(), $1, g, 'c' || g, $2, 'alice', 'hi', now() FROM generate_series(1, $3::int) AS g`,
      [randomUUID(), sender, count],
    );

  /** The answer, and how the history table was read to give it, under a generic plan. */
  const ask = (senders: string[], clientIds: string[]) =>
    withTransaction(db, async (tx) => {
      // This backend's counts not yet flushed to the shared statistics: what the call adds to them.
      const scans = async () => {
        const { rows } = await tx.query<{ seq_scan: string; idx_scan: string }>(
          `SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relid = 'history'::regclass`,
        );
        return { seq: Number(rows[0]!.seq_scan), index: Number(rows[0]!.idx_scan) };
      };
      await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
      const before = await scans();
      const { rows } = await tx.query<{ yes: boolean }>('SELECT sent_before($1::uuid[], $2::text[]) AS yes', [senders, clientIds]);
      const after = await scans();
      return { yes: rows[0]!.yes, seqScans: after.seq - before.seq, indexScans: after.index - before.index };
    });

  it('answers whether any (sender, client id) pair is stored', async () => {
    const alice = randomUUID();
    await seed(alice, 3);
    expect((await ask([alice], ['c2'])).yes).toBe(true);
    expect((await ask([alice, alice], ['nope', 'c3'])).yes).toBe(true);
    expect((await ask([alice], ['c4'])).yes).toBe(false);
    expect((await ask([randomUUID()], ['c1'])).yes).toBe(false);
    expect((await ask([], [])).yes).toBe(false);
  });

  it('probes the unique index, not a scan of history, even planned on a near-empty table', async () => {
    const bob = randomUUID();
    await seed(bob, 20);
    const read = await ask([bob, bob], ['c5', 'c99']);
    expect(read).toEqual({ yes: true, seqScans: 0, indexScans: expect.any(Number) });
    expect(read.indexScans).toBeGreaterThan(0);
  });
});

import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { appendToStreams, connectDatabase, migrate, readAllEvents, readStream, withTransaction, type Database } from '@pneumatic/platform';

/** The platform event store as the history rebuild replays it. */
describe('event store replay (real Postgres)', () => {
  let ctx: TestContext;
  let db: Database;

  beforeAll(async () => {
    ctx = await createTestContext('event_store');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'store_test', logger: ctx.logger });
    await migrate(db, 'store_test', mkdtempSync(path.join(os.tmpdir(), 'no-migrations-')), { eventStore: true });
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const event = (n: number) => ({ type: 'test.happened', schemaVersion: 1, data: { n } });

  it('reads the whole store in position order, page by page, past ten events', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await withTransaction(db, (tx) =>
      appendToStreams(tx, [
        { streamId: a, expectedVersion: 0, events: Array.from({ length: 7 }, (_, i) => event(i)) },
        { streamId: b, expectedVersion: 0, events: Array.from({ length: 7 }, (_, i) => event(7 + i)) },
      ]),
    );
    const seen: number[] = [];
    const positions: bigint[] = [];
    let after = '0';
    for (;;) {
      const page = await withTransaction(db, (tx) => readAllEvents(tx, after, 5));
      seen.push(...page.events.map((e) => (e.data as { n: number }).n));
      if (!page.position) break;
      positions.push(BigInt(page.position));
      after = page.position;
    }
    expect(seen).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(positions).toEqual([...positions].sort((x, y) => (x < y ? -1 : 1)));
    const stream = await withTransaction(db, (tx) => readStream(tx, b));
    expect(stream.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses an append to a stream that moved past the expected version', async () => {
    const stream = randomUUID();
    await withTransaction(db, (tx) => appendToStreams(tx, [{ streamId: stream, expectedVersion: 0, events: [event(1)] }]));
    await expect(
      withTransaction(db, (tx) => appendToStreams(tx, [{ streamId: stream, expectedVersion: 0, events: [event(2)] }])),
    ).rejects.toThrow(/not at their expected versions/);
  });
});

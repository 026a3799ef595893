import { connectDatabase, withTransaction, type Database } from './database';
import { createLogger } from './logger';
import { dbQueryDuration } from './timed-pg-client';

const countOf = async (operation: string) =>
  (await dbQueryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.operation === operation)?.value ?? 0;

describe('Postgres latency histogram (real Postgres)', () => {
  // Only statements that touch no table, so the server's maintenance database will do.
  // (The testkit cannot be imported here: it depends on this package's build.)
  const db: Database = connectDatabase({
    url: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    schema: 'public',
    logger: createLogger('timed-pg-test', 'silent'),
  });
  afterAll(() => db.end());

  it('times statements sent through the pool and inside transactions, by operation, with no tracing at all', async () => {
    const before = { select: await countOf('select'), begin: await countOf('begin'), commit: await countOf('commit'), with: await countOf('with') };
    await db.query('SELECT 1');
    await db.query({ text: 'SELECT $1::int AS n', values: [2] });
    await withTransaction(db, (tx) => tx.query('WITH x AS (SELECT 1) SELECT * FROM x'));
    await expect(db.query('SELECT no_such_column')).rejects.toThrow();
    expect(await countOf('select')).toBe(before.select + 3);
    expect(await countOf('begin')).toBe(before.begin + 1);
    expect(await countOf('commit')).toBe(before.commit + 1);
    expect(await countOf('with')).toBe(before.with + 1);
  });
});

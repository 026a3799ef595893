import { connectDatabase, type Database } from './database';
import { createLogger } from './logger';

describe('database sessions (real Postgres)', () => {
  // A temporary table only, so the server's maintenance database will do.
  const db: Database = connectDatabase({
    url: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    schema: 'public',
    logger: createLogger('database-test', 'silent'),
    idleInTransactionTimeoutMs: 300,
  });
  afterAll(() => db.end());

  it('are ended by Postgres when left idle in a write transaction, so none holds back the relays', async () => {
    const client = await db.connect();
    const ended = new Promise<Error>((resolve) => client.once('error', resolve));
    await client.query('BEGIN');
    const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    const horizon = async () => (await db.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin')).rows[0]!.xmin;
    expect(BigInt(await horizon())).toBeLessThanOrEqual(BigInt(rows[0]!.xid));
    expect(await ended).toMatchObject({ message: expect.stringContaining('idle-in-transaction timeout') });
    client.release(true);
    expect(BigInt(await horizon())).toBeGreaterThan(BigInt(rows[0]!.xid));
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase, migrate, type Database } from './database';
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

describe('migrations (real Postgres)', () => {
  const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `t_migrate_${randomBytes(4).toString('hex')}`;
  const db: Database = connectDatabase({ url, schema, logger: createLogger('migrate-test', 'silent') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  const write = (name: string, sql: string) => writeFileSync(path.join(dir, name), sql);
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('records each file under a key namespaced by its source, with its checksum, and applies it once', async () => {
    write('001_rooms.sql', 'CREATE TABLE rooms (id int PRIMARY KEY);');
    expect(await migrate(db, schema, dir, { eventStore: true })).toEqual(expect.arrayContaining(['platform/000_event_store.sql', `${schema}/001_rooms.sql`]));
    expect(await migrate(db, schema, dir, { eventStore: true })).toEqual([]);
    const { rows } = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations ORDER BY name');
    expect(rows.every((r) => /^(platform|t_migrate_\w+)\/\d{3}_\w+\.sql$/.test(r.name) && /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
  });

  it('applies a service file that shares its name with an event-store file (they used to collide)', async () => {
    write('000_event_store.sql', 'CREATE TABLE same_name_as_platform (id int);');
    expect(await migrate(db, schema, dir, { eventStore: true })).toEqual([`${schema}/000_event_store.sql`]);
    await db.query('SELECT * FROM same_name_as_platform');
  });

  it('refuses to start when an applied file was edited, naming it', async () => {
    write('001_rooms.sql', 'CREATE TABLE rooms (id int PRIMARY KEY, title text);');
    await expect(migrate(db, schema, dir, { eventStore: true })).rejects.toThrow(`migration ${schema}/001_rooms.sql was changed after it was applied`);
    write('001_rooms.sql', 'CREATE TABLE rooms (id int PRIMARY KEY);');
  });

  it('adopts the rows of a database migrated before keys were namespaced, without applying anything again', async () => {
    await db.query("UPDATE schema_migrations SET name = split_part(name, '/', 2), checksum = NULL WHERE name NOT LIKE '%/000_event_store.sql'");
    expect(await migrate(db, schema, dir, { eventStore: true })).toEqual([]);
    const { rows } = await db.query<{ name: string; checksum: string | null }>('SELECT name, checksum FROM schema_migrations');
    expect(rows.every((r) => r.name.includes('/') && r.checksum !== null)).toBe(true);
  });
});

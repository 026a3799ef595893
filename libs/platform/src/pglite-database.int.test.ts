import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * The embedded mode's database: one PGlite connection shared by every service, transactions
 * taking turns on it. PGlite loads Node built-ins with dynamic import(), which Jest's VM refuses,
 * so the scenario runs in a plain Node process against the build and reports what it saw.
 */
const scenario = `
const { PgliteHost, migrate, withTransaction, lockStream, appendToStream, readStream } = require('@pneumatic/platform');
const { randomUUID } = require('node:crypto');
(async () => {
  const out = {};
  const host = await PgliteHost.open('memory://');
  const a = host.database('embedded_a');
  const b = host.database('embedded_b');
  await migrate(a, 'embedded_a', process.env.MIGRATIONS, { eventStore: true });
  await migrate(b, 'embedded_b', process.env.MIGRATIONS);

  const streamId = randomUUID();
  await Promise.all(Array.from({ length: 20 }, (_, i) => withTransaction(a, async (tx) => {
    const version = await lockStream(tx, streamId);
    await appendToStream(tx, streamId, version, [{ type: 'note.added', schemaVersion: 1, data: { i } }]);
  })));
  const client = await a.connect();
  const events = await readStream(client, streamId);
  client.release();
  out.versions = events.map((e) => e.streamVersion);
  out.distinct = new Set(events.map((e) => e.data.i)).size;

  const failing = withTransaction(a, async (tx) => { await tx.query("INSERT INTO notes VALUES (1, 'rolled back')"); throw new Error('boom'); });
  const committing = withTransaction(a, (tx) => tx.query("INSERT INTO notes VALUES (2, 'kept')"));
  out.failed = await failing.then(() => 'committed', (err) => err.message);
  await committing;
  out.notesA = (await a.query('SELECT id FROM notes ORDER BY id')).rows.map((r) => r.id);

  await Promise.all([
    withTransaction(b, (tx) => tx.query("INSERT INTO notes VALUES (10, 'b')")),
    a.query("INSERT INTO notes VALUES (10, 'a')"),
    withTransaction(b, (tx) => tx.query("INSERT INTO notes VALUES (11, 'b')")),
  ]);
  out.bodyA10 = (await a.query('SELECT body FROM notes WHERE id = 10')).rows[0].body;
  out.countB = (await b.query('SELECT count(*)::int AS n FROM notes')).rows[0].n;

  const abandoned = await b.connect();
  await abandoned.query('BEGIN');
  await abandoned.query("INSERT INTO notes VALUES (99, 'abandoned')");
  abandoned.release();
  out.abandoned = (await b.query('SELECT count(*)::int AS n FROM notes WHERE id = 99')).rows[0].n;

  const batched = await b.connect();
  await batched.query("BEGIN; INSERT INTO notes VALUES (20, 'open')");
  await batched.query("UPDATE notes SET body = 'committed' WHERE id = 20; COMMIT");
  // Still holding the client, as a projection runner does: others get their turn.
  const read = b.query('SELECT body FROM notes WHERE id = 20').then((r) => r.rows[0]?.body);
  out.batched = await Promise.race([read, new Promise((resolve) => setTimeout(() => resolve('still waiting for the turn'), 2000))]);
  batched.release();
  await read;

  out.relayVisible = Number((await a.query('SELECT count(*) AS n FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())')).rows[0].n);
  out.locked = (await a.query("SELECT pg_try_advisory_lock(hashtext('relay')) AS locked")).rows[0].locked;
  await host.close();
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('PGlite adapter (one shared connection, transactions taking turns)', () => {
  const migrations = mkdtempSync(path.join(tmpdir(), 'pglite-migrations-'));
  afterAll(() => rmSync(migrations, { recursive: true, force: true }));

  it('serializes concurrent transactions, isolates schemas and rolls back failed or abandoned ones', () => {
    writeFileSync(path.join(migrations, '001_notes.sql'), 'CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);');
    const run = spawnSync(process.execPath, ['-e', scenario], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, MIGRATIONS: migrations },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    // 20 concurrent appends to one stream: consecutive versions, none lost.
    expect(seen.versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.distinct).toBe(20);
    // A transaction that throws is rolled back while another commits next to it.
    expect(seen.failed).toBe('boom');
    expect(seen.notesA).toEqual([2]);
    // Each service's schema, even with statements of both in flight at once.
    expect(seen.bodyA10).toBe('a');
    expect(seen.countB).toBe(2);
    // A client released inside a transaction has it rolled back, and frees the connection.
    expect(seen.abandoned).toBe(0);
    // A batch ending in COMMIT (as projections send) ends the transaction and its turn.
    expect(seen.batched).toBe('committed');
    // What the relay relies on: xid8 ids below the snapshot's xmin once committed; advisory locks.
    expect(seen.relayVisible).toBe(20);
    expect(seen.locked).toBe(true);
  }, 130_000);
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { appendToStream, connectDatabase, lockStream, withTransaction, type Database, type NewEvent } from '@pneumatic/platform';
import { createTestContext, type TestContext } from '@pneumatic/testkit';
import { upcast } from '../domain/upcast';
import { projectToHistory, type StoredMessageEvent } from '../store/history-projection';
import { compareHistory, rebuildHistory } from './history-rebuild';
import { migrateMessages } from '../store/messages-schema';

/** The stored event fixtures of every version, appended and projected inline as the store does. */
describe('history rebuild', () => {
  let ctx: TestContext;
  let db: Database;

  beforeAll(async () => {
    ctx = await createTestContext('history_rebuild');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
    const dir = path.resolve(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'fixtures', 'events');
    const fixtures = readdirSync(dir)
      .filter((name) => name.startsWith('message.'))
      .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')))
      .sort((a, b) => a.stream_version - b.stream_version);
    const streamId: string = fixtures[0].stream_id;
    for (const f of fixtures) {
      await withTransaction(db, async (tx) => {
        const event: NewEvent = { type: f.type, schemaVersion: f.version, data: f.data };
        const [stored] = await appendToStream(tx, streamId, await lockStream(tx, streamId), [event]);
        await projectToHistory(tx, upcast(stored!) as StoredMessageEvent);
      });
    }
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  it('replays the events into a fresh table equal to the live one, including every fixture version', async () => {
    expect(await compareHistory(db)).toEqual({ events: 6, differences: 0 });
    const { rows } = await db.query('SELECT seq, content, deleted FROM history ORDER BY seq');
    expect(rows).toEqual([
      { seq: '1', content: 'hello from v0', deleted: false },
      { seq: '2', content: '', deleted: true },
    ]);
  });

  it('notices a damaged read model, and the rebuild restores it', async () => {
    await db.query('DELETE FROM history WHERE seq = 1');
    await db.query('UPDATE read_cursors SET seq = 0');
    expect((await compareHistory(db)).differences).toBe(3);
    expect(await rebuildHistory(db)).toBe(6);
    expect(await compareHistory(db)).toEqual({ events: 6, differences: 0 });
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DomainError, UserRegisteredV1, contracts, eventSubjects, type User } from '@pneumatic/contracts';
import {
  EventStream,
  catchUpProjection,
  connectDatabase,
  resetProjection,
  withTransaction,
  type Bus,
  type Database,
  type RelayedEvent,
} from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import type { z } from 'zod';
import { senderAndMentions } from '../handlers/membership';
import { startMessagesProjections } from './start-projections';
import { backfillUserDirectory, findUsersByName, userDirectory } from './user-directory';
import { migrateMessages } from '../store/messages-schema';

/**
 * The user directory over real Postgres and JetStream. The test bus stands in for auth: it
 * publishes user.registered on core NATS as auth does (the stream captures it) and answers users.list.
 */
describe('user directory projection', () => {
  let ctx: TestContext;
  let db: Database;
  let stream: EventStream;
  let bus: Bus;
  let stop: () => Promise<void>;
  const user = (username: string): User => ({ id: randomUUID(), username, full_name: `${username} full` });
  // Signed up before the stream existed: only auth's users.list knows them.
  const earlier = ['old_ann', 'old_ben', 'old_cid'].map(user);
  const dora = user('Dora_d');
  const listRequests: z.infer<typeof contracts.usersList.request>[] = [];

  const register = (u: User, time = new Date().toISOString()) => {
    const event: z.input<typeof UserRegisteredV1> = { id: randomUUID(), type: 'user.registered', version: 1, time, data: { user: u } };
    bus.publish(eventSubjects.userRegistered, event);
    return event;
  };
  const rows = async () => (await db.query('SELECT * FROM user_directory ORDER BY user_id')).rows;
  const rowOf = async (id: string) => (await db.query('SELECT * FROM user_directory WHERE user_id = $1', [id])).rows[0];
  const checkpoint = async () => Number((await db.query("SELECT stream_sequence FROM projection_checkpoints WHERE name = 'user_directory'")).rows[0]?.stream_sequence ?? 0);

  beforeAll(async () => {
    ctx = await createTestContext('user_directory');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'messages', logger: ctx.logger });
    await migrateMessages(db);
    stream = await EventStream.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'user-directory-test', logger: ctx.logger });
    bus = await ctx.connectBus();
    // auth's users.list, paging by two whatever the limit so the backfill has to follow next_cursor.
    const everyone = () => [...earlier, dora].sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
    bus.serve(
      contracts.usersList,
      async (request) => {
        listRequests.push(request);
        const from = request.cursor ? Number(request.cursor) : 0;
        const users = everyone().slice(from, from + 2);
        return { users, next_cursor: from + 2 < everyone().length ? String(from + 2) : null };
      },
      { queue: 'auth' },
    );
    await bus.flush();
    register(dora, '2026-01-02T03:04:05.000Z');
    await waitFor('dora in the stream', async () => (await stream.messageCount()) === 1, 10_000);
    stop = await startMessagesProjections(db, stream, bus, ctx.logger);
  });
  afterAll(async () => {
    await stop();
    await stream.close();
    await db.end();
    await ctx.cleanup();
  });

  it('backfills an empty directory from users.list, page by page, and projects the stored registration', async () => {
    const all = await waitFor('the backfill and dora', async () => {
      const r = await rows();
      return r.length === 4 && r.some((row) => row.registered_at !== null) ? r : false;
    }, 10_000);
    expect(listRequests.map((r) => [r.limit, r.cursor])).toEqual([[200, undefined], [200, '2']]);
    for (const u of earlier) expect(await rowOf(u.id)).toMatchObject({ username: u.username, full_name: u.full_name, registered_at: null });
    // Listed by the backfill and projected from its event, in either order: the event's time stays.
    expect(await rowOf(dora.id)).toMatchObject({ username: 'Dora_d', registered_at: new Date('2026-01-02T03:04:05.000Z') });
    expect(all).toHaveLength(4);
  });

  it('projects new signups, skipping a malformed event and a republished copy', async () => {
    const erin = user('erin_d');
    bus.publish(eventSubjects.userRegistered, { type: 'user.registered', version: 1, data: {} });
    const event = register(erin);
    bus.publish(eventSubjects.userRegistered, event);
    const fred = user('fred_d');
    register(fred);
    await waitFor('fred after the rest', async () => (await rowOf(fred.id)) ?? false, 10_000);
    expect(await rowOf(erin.id)).toMatchObject({ username: 'erin_d', full_name: 'erin_d full', registered_at: new Date(event.time) });
    expect(await rows()).toHaveLength(6);
  });

  it('rebuilds (reset, catch up, backfill) to the same rows as the live directory', async () => {
    const end = await waitFor('all events stored', async () => {
      const count = await stream.messageCount();
      return count >= 5 ? count : false;
    }, 10_000);
    await waitFor('the live directory at the stream end', async () => (await checkpoint()) >= end, 10_000);
    const live = await rows();
    await resetProjection(db, userDirectory(ctx.logger));
    expect(await rows()).toEqual([]);
    await catchUpProjection({ db, stream, projection: userDirectory(ctx.logger), logger: ctx.logger });
    expect(await backfillUserDirectory(db, bus)).toBe(4);
    await waitFor('the checkpoint back at the end', async () => (await checkpoint()) >= end, 10_000);
    expect(await rows()).toEqual(live);
  });

  it('resolves mentions from the directory, with no auth answering users.resolve', async () => {
    const conversationId = randomUUID();
    const [ann] = earlier;
    bus.serve(
      contracts.conversationsGet,
      async ({ actor_id }) => {
        const members = [dora.id, ann!.id];
        if (actor_id !== dora.id) throw new DomainError('not_a_member', 'not a member of this conversation');
        return { id: conversationId, title: 't', kind: 'group' as const, members, member_count: 2, last_message: null, last_seq: 0, unread_count: 0, created_at: new Date().toISOString() };
      },
      { queue: 'conversations' },
    );
    await bus.flush();
    const directory = (names: string[]) => findUsersByName(db, names);
    const send = (content: string) => senderAndMentions(bus, ctx.logger, directory, { conversationId, senderId: dora.id, content });
    // old_ben is known but not a member; @nobody is unknown and nobody answers users.resolve.
    expect(await send('@OLD_ANN. and @old_ben, ask @nobody')).toEqual({ senderIsMember: true, mentions: [ann!.id] });
    expect(await send('@dora_d @old_ann')).toEqual({ senderIsMember: true, mentions: expect.arrayContaining([dora.id, ann!.id]) });
  });

  it('projects every stored user.registered fixture through the current projection', async () => {
    const dir = path.resolve(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'fixtures', 'events');
    const fixtures = readdirSync(dir)
      .filter((name) => name.startsWith('user.registered.'))
      .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RelayedEvent);
    expect(fixtures.length).toBeGreaterThanOrEqual(1);
    await withTransaction(db, async (tx) => {
      for (const event of fixtures) {
        await userDirectory(ctx.logger).apply(tx, [event]);
        const { user: u } = event.data as { user: User };
        const { rows: [row] } = await tx.query('SELECT username, registered_at FROM user_directory WHERE user_id = $1', [u.id]);
        expect(row).toEqual({ username: u.username, registered_at: new Date(event.time) });
      }
      await tx.query('ROLLBACK');
      await tx.query('BEGIN'); // leave nothing behind; withTransaction commits an empty transaction
    });
  });
});

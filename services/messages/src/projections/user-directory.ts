import { UserRegisteredV1, contracts, eventSubjects, type User } from '@pneumatic/contracts';
import { withTransaction, type Bus, type Database, type Logger, type PoolClient, type Projection } from '@pneumatic/platform';

type Queryable = Pick<PoolClient, 'query'>;

/** The users.list page size the backfill asks for (the contract's maximum). */
const backfillPageSize = 200;

/**
 * Adds or refreshes one user. The registration time only ever fills in: a backfilled row (which
 * has none) and the user's event may arrive in either order and give the same row.
 */
async function upsertDirectoryUser(tx: Queryable, user: User, registeredAt: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO user_directory AS d (user_id, username, full_name, registered_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id) DO UPDATE
       SET username = excluded.username, full_name = excluded.full_name, registered_at = coalesce(d.registered_at, excluded.registered_at)`,
    [user.id, user.username, user.full_name, registeredAt],
  );
}

/** The known users among these names, matched whatever their case; unknown names are simply absent. */
export async function findUsersByName(db: Queryable, usernames: string[]): Promise<Pick<User, 'id' | 'username'>[]> {
  if (usernames.length === 0) return [];
  const { rows } = await db.query<{ id: string; username: string }>(
    'SELECT user_id AS id, username FROM user_directory WHERE lower(username) = ANY($1::text[])',
    [[...new Set(usernames.map((name) => name.toLowerCase()))]],
  );
  return rows;
}

export async function isDirectoryEmpty(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM user_directory) AS empty');
  return rows[0]!.empty;
}

/**
 * Pages through auth's users.list and upserts every user, one transaction per page; idempotent.
 * Covers users who signed up before the events stream existed. Returns how many were listed.
 */
export async function backfillUserDirectory(db: Database, bus: Bus): Promise<number> {
  let listed = 0;
  let cursor: string | undefined;
  do {
    const page = await bus.call(contracts.usersList, { limit: backfillPageSize, ...(cursor ? { cursor } : {}) });
    await withTransaction(db, async (tx) => {
      for (const user of page.users) await upsertDirectoryUser(tx, user, null);
    });
    listed += page.users.length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return listed;
}

/** The user directory, fed by auth's user.registered events (core NATS publishes the stream captures). */
export function userDirectory(logger: Logger): Projection {
  return {
    name: 'user_directory',
    subject: eventSubjects.userRegistered,
    async apply(tx, events) {
      for (const event of events) {
        if (event.type !== 'user.registered') continue;
        const parsed = UserRegisteredV1.safeParse(event);
        if (!parsed.success) {
          // A malformed event would otherwise stop the projection for good; it is logged and passed.
          logger.error({ err: parsed.error, eventId: event.id, version: event.version }, 'user directory skipped a malformed event');
          continue;
        }
        await upsertDirectoryUser(tx, parsed.data.data.user, parsed.data.time);
      }
    },
    async reset(tx) {
      await tx.query('TRUNCATE user_directory');
    },
  };
}

import { readAllEvents, withTransaction, type Database, type PoolClient } from '@pneumatic/platform';
import { upcast } from '../domain/upcast';
import { projectToHistory, type StoredMessageEvent } from '../store/history-projection';

const pageSize = 1000;

/**
 * Replays every stored event through projectToHistory, in position order (which keeps each
 * stream's order: a stream's appends are serialized by its lock). Runs inside the caller's transaction.
 */
async function replayHistory(tx: PoolClient): Promise<number> {
  let after = '0';
  let replayed = 0;
  for (;;) {
    const { events, position } = await readAllEvents(tx, after, pageSize);
    for (const event of events) await projectToHistory(tx, upcast(event) as StoredMessageEvent);
    replayed += events.length;
    if (events.length < pageSize || !position) return replayed;
    after = position;
  }
}

/** Drops and rebuilds the history read model in one transaction; readers and writers wait for it. */
export function rebuildHistory(db: Database): Promise<number> {
  return withTransaction(db, async (tx) => {
    await tx.query('LOCK TABLE history, read_cursors IN ACCESS EXCLUSIVE MODE');
    await tx.query('TRUNCATE history, read_cursors');
    return replayHistory(tx);
  });
}

/**
 * Replays the events into fresh temporary tables (which shadow the live ones inside this
 * transaction) and counts rows that differ either way; nothing is changed.
 */
export async function compareHistory(db: Database): Promise<{ events: number; differences: number }> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE history (LIKE messages.history INCLUDING ALL) ON COMMIT DROP');
    await client.query('CREATE TEMP TABLE read_cursors (LIKE messages.read_cursors INCLUDING ALL) ON COMMIT DROP');
    const events = await replayHistory(client);
    const { rows } = await client.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM (TABLE pg_temp.history EXCEPT TABLE messages.history) a)
            + (SELECT count(*) FROM (TABLE messages.history EXCEPT TABLE pg_temp.history) b)
            + (SELECT count(*) FROM (TABLE pg_temp.read_cursors EXCEPT TABLE messages.read_cursors) c)
            + (SELECT count(*) FROM (TABLE messages.read_cursors EXCEPT TABLE pg_temp.read_cursors) d))::int AS n`,
    );
    return { events, differences: rows[0]!.n };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

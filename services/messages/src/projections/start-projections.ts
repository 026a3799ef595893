import { ProjectionRunner, resetProjection, type Bus, type Database, type EventLog, type Logger } from '@pneumatic/platform';
import { setTimeout as delay } from 'node:timers/promises';
import { backfillUserDirectory, isDirectoryEmpty, userDirectory } from './user-directory';

const backfillRetryMs = { first: 1000, max: 30_000 };

/**
 * Starts this service's asynchronous projection, the user directory; the returned function stops
 * it. `rebuild` empties it first and replays the stream from its start (for a stream that began
 * empty). An empty directory is backfilled from auth in the background, retried until auth answers,
 * since users who signed up before the stream existed have no event in it.
 */
export async function startMessagesProjections(
  db: Database,
  stream: EventLog,
  bus: Bus,
  logger: Logger,
  { rebuild = false } = {},
): Promise<() => Promise<void>> {
  const projection = userDirectory(logger);
  if (rebuild) await resetProjection(db, projection);
  // Decided before the runner adds anyone, so an empty table means nothing was ever projected.
  const needsBackfill = await isDirectoryEmpty(db);
  const runner = new ProjectionRunner({ db, stream, projection, logger });
  runner.start();
  const abort = new AbortController();
  const backfill = needsBackfill ? backfillUntilDone(db, bus, logger, abort.signal) : Promise.resolve();
  return async () => {
    abort.abort();
    await Promise.all([runner.stop(), backfill]);
  };
}

async function backfillUntilDone(db: Database, bus: Bus, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let wait = backfillRetryMs.first; !signal.aborted; wait = Math.min(wait * 2, backfillRetryMs.max)) {
    try {
      logger.info({ users: await backfillUserDirectory(db, bus) }, 'user directory backfilled from auth');
      return;
    } catch (err) {
      if (signal.aborted) return;
      logger.warn({ err, retryInMs: wait }, 'user directory backfill failed; retrying');
      await delay(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}

import { ProjectionRunner, resetProjection, type Database, type EventLog, type Logger } from '@pneumatic/platform';
import { conversationSummaries } from './conversation-summaries';

/**
 * Starts this service's asynchronous projections; the returned function stops them. `rebuild`
 * empties them first and replays the stream from its start (for a stream that began empty).
 */
export async function startConversationProjections(
  db: Database,
  stream: EventLog,
  logger: Logger,
  { rebuild = false } = {},
): Promise<() => Promise<void>> {
  const projection = conversationSummaries(logger);
  if (rebuild) await resetProjection(db, projection);
  const runner = new ProjectionRunner({ db, stream, projection, logger });
  runner.start();
  return () => runner.stop();
}

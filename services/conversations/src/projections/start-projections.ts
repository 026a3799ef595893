import { ProjectionRunner, type Database, type EventStream, type Logger } from '@pneumatic/platform';
import { conversationSummaries } from './conversation-summaries';

/** Starts this service's asynchronous projections; the returned function stops them. */
export function startConversationProjections(db: Database, stream: EventStream, logger: Logger): () => Promise<void> {
  const runner = new ProjectionRunner({ db, stream, projection: conversationSummaries(logger), logger });
  runner.start();
  return () => runner.stop();
}

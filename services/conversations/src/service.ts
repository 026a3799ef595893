import { migrate, replayRelayFromStart, startRelay, type Bus, type Database, type EventLog, type Logger, type OnStop } from '@pneumatic/platform';
import path from 'node:path';
import { registerConversationHandlers } from './handlers/conversation-handlers';
import { startConversationProjections } from './projections/start-projections';
import { withSummaries } from './projections/summary-view';
import { ConversationStore } from './store/conversation-store';

export const conversationsSchema = 'conversations';

export interface ConversationsServiceDeps {
  logger: Logger;
  bus: Bus;
  db: Database;
  events: EventLog;
  /** The events stream began empty (embedded mode): republish the store and rebuild the projections. */
  replayEvents?: boolean;
}

/** Migrates, starts the relay and projections, answers the RPCs; the same in its own process and embedded. */
export async function startConversationsService({ logger, bus, db, events, replayEvents = false }: ConversationsServiceDeps, onStop: OnStop) {
  const applied = await migrate(db, conversationsSchema, path.join(__dirname, '..', 'migrations'), { eventStore: true });
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (replayEvents) await replayRelayFromStart(db, conversationsSchema);
  onStop(startRelay({ db, stream: events, service: conversationsSchema, logger }));
  onStop(await startConversationProjections(db, events, logger, { rebuild: replayEvents }));
  registerConversationHandlers(bus, new ConversationStore(db), logger, (reader, views) => withSummaries(db, reader, views));
}

import { replayRelayFromStart, startRelay, type Bus, type Database, type EventLog, type Logger, type Metrics, type OnStop } from '@pneumatic/platform';
import type { GroupCommitConfig, MessageBoundsConfig } from './config';
import { serveLeasedPartitions, type PartitionLeasing } from './handlers/leased-partitions';
import { registerMessageHandlers } from './handlers/message-handlers';
import { startMessagesProjections } from './projections/start-projections';
import { findUsersByName } from './projections/user-directory';
import { batchPathCounter } from './store/messages-metrics';
import { GroupCommit } from './store/group-commit';
import { MessageStore } from './store/message-store';
import { messagesSchema, migrateMessages } from './store/messages-schema';

export { messagesSchema };

export interface MessagesServiceDeps {
  config: GroupCommitConfig & MessageBoundsConfig;
  logger: Logger;
  bus: Bus;
  db: Database;
  events: EventLog;
  /** Where the service's own metrics go (the embedded mode has none of its own). */
  metrics?: Metrics;
  /**
   * Lease partitions of conversations and serve their sends (docs/scale-out.md, Messages replicas). Without,
   * the replica serves only the shared queue group: the embedded mode's one process.
   */
  leasing?: PartitionLeasing;
  /** The events stream began empty (embedded mode): republish the whole store and rebuild the user directory. */
  replayEvents?: boolean;
}

/** Migrates, starts the relay and the user directory, answers the RPCs; the same in its own process and embedded. */
export async function startMessagesService({ config, logger, bus, db, events, metrics, leasing, replayEvents = false }: MessagesServiceDeps, onStop: OnStop) {
  await migrateMessages(db);
  if (replayEvents) await replayRelayFromStart(db, messagesSchema);
  onStop(startRelay({ db, stream: events, service: messagesSchema, logger }));
  onStop(await startMessagesProjections(db, events, bus, logger, { rebuild: replayEvents }));
  const store = new MessageStore(db, metrics && batchPathCounter(metrics));
  const groupCommit = new GroupCommit(
    store,
    {
      maxBatch: config.MESSAGES_BATCH_MAX,
      windowMs: config.MESSAGES_BATCH_WINDOW_MS,
      maxQueued: config.MESSAGES_QUEUE_MAX,
      maxInFlight: config.MESSAGES_BATCHES_IN_FLIGHT,
    },
    logger,
  );
  const appendMessage = config.MESSAGES_GROUP_COMMIT === 'on' ? groupCommit.append.bind(groupCommit) : store.appendMessage.bind(store);
  const { servePartition } = registerMessageHandlers({
    bus,
    store,
    appendMessage,
    logger,
    directory: (names) => findUsersByName(db, names),
    bounds: {
      historyPageMaxBytes: config.MESSAGES_HISTORY_PAGE_MAX_BYTES,
      reactions: {
        emojiPerMessage: config.MESSAGES_REACTION_EMOJI_MAX,
        perUser: config.MESSAGES_REACTIONS_PER_USER_MAX,
        perMessage: config.MESSAGES_REACTIONS_MAX,
      },
    },
  });
  if (leasing) {
    const leased = await serveLeasedPartitions({ db, bus, logger, metrics }, leasing, servePartition);
    onStop(() => leased.stop());
  }
}

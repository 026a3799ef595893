import { messagesPartitionsEnv } from '@pneumatic/platform';
import { z } from 'zod';

/** Group commit: sends arriving within a window are stored in one transaction (store/group-commit.ts). */
export const groupCommitEnv = {
  MESSAGES_GROUP_COMMIT: z.enum(['on', 'off']).default('on'),
  MESSAGES_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(100),
  MESSAGES_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(0),
  MESSAGES_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(256),
  MESSAGES_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(1),
};

export type GroupCommitConfig = z.infer<z.ZodObject<typeof groupCommitEnv>>;

/**
 * Bounds in bytes and count that keep every reply far under a NATS message (1 MiB): a history
 * page stops at a byte budget, a message's reactions at these counts (docs/protocol.md, Limits).
 */
export const messageBoundsEnv = {
  MESSAGES_HISTORY_PAGE_MAX_BYTES: z.coerce.number().int().min(16 * 1024).max(768 * 1024).default(256 * 1024),
  MESSAGES_REACTION_EMOJI_MAX: z.coerce.number().int().min(1).max(200).default(50),
  MESSAGES_REACTIONS_PER_USER_MAX: z.coerce.number().int().min(1).max(200).default(20),
  MESSAGES_REACTIONS_MAX: z.coerce.number().int().min(1).max(5000).default(1000),
};

export type MessageBoundsConfig = z.infer<z.ZodObject<typeof messageBoundsEnv>>;

/** Partition leases (store/partition-leases.ts): how many, and how often a replica checks who holds what. */
export const partitionLeaseEnv = {
  ...messagesPartitionsEnv,
  MESSAGES_PARTITION_CHECK_MS: z.coerce.number().int().min(50).max(10_000).default(500),
};

import { z } from 'zod';

/** Group commit: sends arriving within a window are stored in one transaction (store/group-commit.ts). */
export const groupCommitEnv = {
  MESSAGES_GROUP_COMMIT: z.enum(['on', 'off']).default('on'),
  MESSAGES_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(100),
  MESSAGES_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(1),
  MESSAGES_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(256),
  MESSAGES_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(1),
};

export type GroupCommitConfig = z.infer<z.ZodObject<typeof groupCommitEnv>>;

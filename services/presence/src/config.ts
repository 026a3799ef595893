import { z } from 'zod';

export const presenceEnv = {
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(5).default(60),
  PRESENCE_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  PRESENCE_SWEEP_SECONDS: z.coerce.number().min(0.1).max(60).default(1),
};

export type PresenceConfig = z.infer<z.ZodObject<typeof presenceEnv>>;

import { commonEnv } from '@pneumatic/platform';
import { hostname } from 'node:os';
import { z } from 'zod';

export const gatewayEnv = {
  ...commonEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  GATEWAY_ID: z.string().min(1).max(64).default(`${hostname()}-${process.pid}`.slice(0, 64)),
  JWT_ISSUER: z.string().default('pneumatic-auth'),
  JWT_AUDIENCE: z.string().default('pneumatic'),
  ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
  PRESENCE_HEARTBEAT_SECONDS: z.coerce.number().positive().default(20),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  WS_MAX_QUEUED_FRAMES: z.coerce.number().int().positive().default(100),
  WS_PING_INTERVAL_SECONDS: z.coerce.number().positive().default(30),
};

import { commonEnv, messagesPartitionsEnv, redisEnv } from '@pneumatic/platform';
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseTrustedProxies } from './http/trusted-proxies';

export const gatewayEnv = {
  ...commonEnv,
  ...redisEnv,
  ...messagesPartitionsEnv,
  // Generous defaults: a busy client or a NAT of many users stays under them; the login limit is the strict one.
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  RATE_LIMIT_PER_IP: z.coerce.number().int().positive().default(3000),
  RATE_LIMIT_PER_USER: z.coerce.number().int().positive().default(1200),
  RATE_LIMIT_LOGIN_ATTEMPTS: z.coerce.number().int().positive().default(10),
  RATE_LIMIT_LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(900),
  // Per address with any names, so spraying names is bounded too; a NAT's typos stay well under it.
  RATE_LIMIT_LOGIN_FAILURES_PER_IP: z.coerce.number().int().positive().default(100),
  // Per address in each gateway: its logins take turns, so one address cannot fill auth's argon2 queue.
  RATE_LIMIT_LOGINS_IN_FLIGHT_PER_IP: z.coerce.number().int().positive().default(1),
  RATE_LIMIT_LOGINS_WAITING_PER_IP: z.coerce.number().int().min(0).default(10),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  GATEWAY_ID: z.string().min(1).max(64).default(`${hostname()}-${process.pid}`.slice(0, 64)),
  JWT_ISSUER: z.string().default('pneumatic-auth'),
  JWT_AUDIENCE: z.string().default('pneumatic'),
  ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
  // Whose X-Forwarded-For is believed: none by default (the peer is the client); a hop count, or addresses/CIDRs.
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a hop count or a list of addresses/CIDRs: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  PRESENCE_HEARTBEAT_SECONDS: z.coerce.number().positive().default(20),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  WS_MAX_QUEUED_FRAMES: z.coerce.number().int().positive().default(100),
  WS_MAX_FRAME_WAIT_MS: z.coerce.number().int().positive().default(1000),
  WS_SYNC_PAGE_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(40),
  WS_PING_INTERVAL_SECONDS: z.coerce.number().positive().default(30),
  // Per user on one gateway, shared by all of the user's sockets there.
  WS_FRAMES_PER_SECOND: z.coerce.number().positive().default(20),
  WS_FRAME_BURST: z.coerce.number().int().positive().default(60),
  // Upgrades per window: per address, every attempt (a NAT of many users shares it); per user, authenticated ones.
  WS_UPGRADE_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  WS_UPGRADES_PER_IP: z.coerce.number().int().positive().default(600),
  WS_UPGRADES_PER_USER: z.coerce.number().int().positive().default(60),
  // Open sockets per user across the gateways; a crashed gateway's count lapses after the lease.
  WS_MAX_SOCKETS_PER_USER: z.coerce.number().int().positive().default(20),
  WS_SOCKET_LEASE_SECONDS: z.coerce.number().positive().default(60),
  WS_TYPING_EXPIRY_SECONDS: z.coerce.number().positive().default(5),
  // On SIGTERM sockets are closed (1012) at this pace, faster if needed to be done within WS_DRAIN_SECONDS.
  WS_DRAIN_CLOSES_PER_SECOND: z.coerce.number().positive().default(500),
  WS_DRAIN_SECONDS: z.coerce.number().positive().default(5),
  /** Conversation ids per request when a user's first socket connects here (1000 ids are ~40 KB). */
  WS_FOLLOW_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  // The NATS notice ends a session at once; this poll of auth's list bounds how long a missed one may go unseen.
  SESSION_POLL_SECONDS: z.coerce.number().positive().default(5),
};

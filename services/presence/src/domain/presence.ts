import { UserStatusV1 } from '@pneumatic/contracts';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/**
 * The lease model. Each connection holds a lease that a gateway's connect or heartbeat extends by
 * the TTL. A user is online from their first lease until `grace` after their last lease ended
 * (released or expired), so a reconnect within the grace period is no transition at all. Redis
 * scripts (store/presence-scripts.ts) apply these rules atomically; the names live here.
 */
export const presenceKeys = (userId: string) => ({
  /** connection -> lease expiry (ms) */
  leases: `presence:user:${userId}`,
  /** exists while the user has been announced online */
  announced: `presence:announced:${userId}`,
});

/** Set for a TTL when a connection closes, so a heartbeat that raced the disconnect cannot revive it. */
export const closedConnectionKey = (connectionId: string) => `presence:closed:${connectionId}`;

/** user -> the moment (ms) the user goes offline unless a lease is renewed first. */
export const offlineDueKey = 'presence:offline-due';

export const leaseExpiry = (nowMs: number, ttlSeconds: number) => nowMs + ttlSeconds * 1000;

/** When a user whose last lease ends at `lastLeaseEndMs` is due offline. */
export const offlineDue = (lastLeaseEndMs: number, graceSeconds: number) => lastLeaseEndMs + graceSeconds * 1000;

export type UserStatus = z.infer<typeof UserStatusV1>;

export const userStatusEvent = (userId: string, status: 'online' | 'offline', now = new Date()): UserStatus => ({
  id: randomUUID(),
  type: 'user.status',
  version: 1,
  time: now.toISOString(),
  data: { user_id: userId, status },
});

/** Splits a gateway's batch so no single Redis round trip (or NATS message) grows without bound. */
export function inChunks<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

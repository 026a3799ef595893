/**
 * A user is online while any of their connections has an unexpired lease. Leases are kept per
 * user as connection -> expiry time, so one read answers for every device.
 */
export const userPresenceKey = (userId: string) => `presence:user:${userId}`;

export const leaseExpiry = (nowMs: number, ttlSeconds: number) => nowMs + ttlSeconds * 1000;

/** Online ids among `userIds`, given each user's count of live leases (same order). */
export const onlineAmong = (userIds: string[], liveLeases: number[]) => userIds.filter((_, i) => (liveLeases[i] ?? 0) > 0);

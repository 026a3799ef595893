import type { Redis } from '@pneumatic/platform';
import { leaseExpiry, onlineAmong, userPresenceKey } from '../domain/presence';

export interface Lease {
  user_id: string;
  connection_id: string;
}

/** Connection leases in Redis: a sorted set per user (connection -> expiry ms) that itself expires. */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async renew(leases: Lease[], nowMs = Date.now()): Promise<void> {
    if (leases.length === 0) return;
    const expiry = leaseExpiry(nowMs, this.ttlSeconds);
    const tx = this.redis.pipeline();
    for (const { user_id, connection_id } of leases) {
      const key = userPresenceKey(user_id);
      tx.zadd(key, expiry, connection_id);
      tx.zremrangebyscore(key, '-inf', nowMs);
      tx.expire(key, this.ttlSeconds);
    }
    await tx.exec();
  }

  async release({ user_id, connection_id }: Lease): Promise<void> {
    await this.redis.zrem(userPresenceKey(user_id), connection_id);
  }

  async online(userIds: string[], nowMs = Date.now()): Promise<string[]> {
    if (userIds.length === 0) return [];
    const tx = this.redis.pipeline();
    for (const id of userIds) tx.zcount(userPresenceKey(id), nowMs, '+inf');
    const results = (await tx.exec()) ?? [];
    return onlineAmong(
      userIds,
      results.map(([err, count]) => (err ? 0 : Number(count))),
    );
  }
}

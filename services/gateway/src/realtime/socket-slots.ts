import type { Redis } from '@pneumatic/platform';

export interface SocketRef {
  userId: string;
  socketId: string;
}

/**
 * Open sockets per user across every gateway: each socket holds a slot, leased for `leaseMs` and
 * renewed by its gateway while it stays open, so a crashed gateway's slots lapse on their own.
 */
export interface SocketSlots {
  /** Takes a slot for the socket unless the user already holds `cap` live ones; true when taken. */
  claim(socket: SocketRef, cap: number, leaseMs: number): Promise<boolean>;
  release(socket: SocketRef): Promise<void>;
  /** Extends the leases of sockets still open; a released slot is not taken again. */
  renew(sockets: SocketRef[], leaseMs: number): Promise<void>;
}

const slotsKey = (userId: string) => `ws:sockets:${userId}`;

// A user's slots are a sorted set scored by lease expiry: lapsed ones go, then the cap is checked.
const claimScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Renewals per pipeline: bounds one round trip however many sockets a gateway holds. */
const renewBatch = 1000;

/** Slots in Redis, shared by every gateway. Gateways' clocks score the leases; NTP skew is far below a lease. */
export const redisSocketSlots = (redis: Redis, clock: () => number = Date.now): SocketSlots => ({
  async claim({ userId, socketId }, cap, leaseMs) {
    return (await redis.eval(claimScript, 1, slotsKey(userId), socketId, String(cap), String(clock()), String(leaseMs))) === 1;
  },
  async release({ userId, socketId }) {
    await redis.zrem(slotsKey(userId), socketId);
  },
  async renew(sockets, leaseMs) {
    for (let i = 0; i < sockets.length; i += renewBatch) {
      const pipeline = redis.pipeline();
      const expiresAt = clock() + leaseMs;
      for (const { userId, socketId } of sockets.slice(i, i + renewBatch)) {
        pipeline.zadd(slotsKey(userId), 'XX', expiresAt, socketId).pexpire(slotsKey(userId), leaseMs);
      }
      await pipeline.exec();
    }
  },
});

/** The same slots in a map, for the single-gateway embedded mode; it holds only users with open sockets. */
export class InMemorySocketSlots implements SocketSlots {
  private readonly byUser = new Map<string, Map<string, number>>();

  constructor(private readonly clock: () => number = Date.now) {}

  async claim({ userId, socketId }: SocketRef, cap: number, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    const slots = this.byUser.get(userId) ?? new Map<string, number>();
    for (const [id, expiresAt] of slots) if (expiresAt <= now) slots.delete(id);
    if (slots.size >= cap) return false;
    slots.set(socketId, now + leaseMs);
    this.byUser.set(userId, slots);
    return true;
  }

  async release({ userId, socketId }: SocketRef): Promise<void> {
    const slots = this.byUser.get(userId);
    slots?.delete(socketId);
    if (slots?.size === 0) this.byUser.delete(userId);
  }

  async renew(sockets: SocketRef[], leaseMs: number): Promise<void> {
    const expiresAt = this.clock() + leaseMs;
    for (const { userId, socketId } of sockets) {
      const slots = this.byUser.get(userId);
      if (slots?.has(socketId)) slots.set(socketId, expiresAt);
    }
  }

  get users(): number {
    return this.byUser.size;
  }
}

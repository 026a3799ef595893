import type { Redis } from '@pneumatic/platform';
import { closedConnectionKey, inChunks, offlineDueKey, presenceKeys } from '../domain/presence';
import { claimOfflineLua, dueOfflineLua, onlineAmongLua, releaseLeaseLua, renewLeaseLua } from './presence-scripts';

export interface Lease {
  user_id: string;
  connection_id: string;
}

export interface PresenceTimings {
  ttlSeconds: number;
  graceSeconds: number;
}

type Reply = Promise<unknown>;
/** The scripts of presence-scripts.ts as ioredis commands (keys get the adapter's prefix). */
interface PresenceCommands {
  presenceRenew(leases: string, announced: string, due: string, closed: string, user: string, conn: string, ttlMs: number, graceMs: number): Reply;
  presenceRelease(leases: string, announced: string, due: string, closed: string, user: string, conn: string, ttlMs: number, graceMs: number): Reply;
  presenceDue(due: string, pageSize: number): Reply;
  presenceClaimOffline(leases: string, announced: string, due: string, user: string, graceMs: number): Reply;
  presenceOnline(due: string, ...users: string[]): Reply;
}

/** What the handlers and the sweeper need of a presence store: Redis's, or the embedded mode's in-memory one. */
export type PresenceLeases = Pick<PresenceStore, 'renew' | 'release' | 'sweepOffline' | 'online'>;

/** Redis round trips are bounded: a gateway's heartbeat of any size is applied this many leases at a time. */
const leasesPerRoundTrip = 500;

/** Connection leases and announced online states in Redis; every transition is decided by a script. */
export class PresenceStore {
  private readonly ttlMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly redis: Redis,
    { ttlSeconds, graceSeconds }: PresenceTimings,
  ) {
    this.ttlMs = ttlSeconds * 1000;
    this.graceMs = graceSeconds * 1000;
    redis.defineCommand('presenceRenew', { numberOfKeys: 4, lua: renewLeaseLua });
    redis.defineCommand('presenceRelease', { numberOfKeys: 4, lua: releaseLeaseLua });
    redis.defineCommand('presenceDue', { numberOfKeys: 1, lua: dueOfflineLua });
    redis.defineCommand('presenceClaimOffline', { numberOfKeys: 3, lua: claimOfflineLua });
    redis.defineCommand('presenceOnline', { numberOfKeys: 1, lua: onlineAmongLua });
  }

  /** Extends each lease by the TTL; returns the users this call took online (each once across replicas). */
  async renew(leases: Lease[]): Promise<string[]> {
    const wentOnline = new Set<string>();
    for (const chunk of inChunks(leases, leasesPerRoundTrip)) {
      const tx = this.redis.pipeline() as unknown as PresenceCommands;
      for (const { user_id, connection_id } of chunk) {
        const { leases: leaseKey, announced } = presenceKeys(user_id);
        void tx.presenceRenew(leaseKey, announced, offlineDueKey, closedConnectionKey(connection_id), user_id, connection_id, this.ttlMs, this.graceMs);
      }
      const results = await this.exec(tx);
      results.forEach((result, i) => result === 1 && wentOnline.add(chunk[i]!.user_id));
    }
    return [...wentOnline];
  }

  /** Ends a lease; a user left without leases goes offline only after the grace period (see sweepOffline). */
  async release({ user_id, connection_id }: Lease): Promise<void> {
    const { leases, announced } = presenceKeys(user_id);
    await this.commands.presenceRelease(leases, announced, offlineDueKey, closedConnectionKey(connection_id), user_id, connection_id, this.ttlMs, this.graceMs);
  }

  /** Takes offline up to `pageSize` users whose last lease ended a grace period ago; returns those this call claimed. */
  async sweepOffline(pageSize = 500): Promise<{ offline: string[]; more: boolean }> {
    const due = (await this.commands.presenceDue(offlineDueKey, pageSize)) as string[];
    if (due.length === 0) return { offline: [], more: false };
    const tx = this.redis.pipeline() as unknown as PresenceCommands;
    for (const user of due) {
      const { leases, announced } = presenceKeys(user);
      void tx.presenceClaimOffline(leases, announced, offlineDueKey, user, this.graceMs);
    }
    const claimed = await this.exec(tx);
    return { offline: due.filter((_, i) => claimed[i] === 1), more: due.length === pageSize };
  }

  /** Users online now: holding a live lease, or within the grace period after their last one. */
  async online(userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    return (await this.commands.presenceOnline(offlineDueKey, ...userIds)) as string[];
  }

  private get commands(): PresenceCommands {
    return this.redis as unknown as PresenceCommands;
  }

  /**
   * Per-entry results; a failed entry counts as no transition. Throws only when every entry failed
   * (Redis down), so transitions already decided by the others are still returned and published.
   */
  private async exec(tx: PresenceCommands): Promise<unknown[]> {
    const results = (await (tx as unknown as ReturnType<Redis['pipeline']>).exec()) ?? [];
    const failure = results.find(([err]) => err)?.[0];
    if (failure && results.every(([err]) => err)) throw failure;
    return results.map(([err, value]) => (err ? undefined : value));
  }
}

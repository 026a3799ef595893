import type { Lease, PresenceLeases, PresenceTimings } from './presence-store';

/**
 * The embedded mode's presence store: the rules of presence-scripts.ts over maps in this process
 * (one process, so no script is needed to make a transition atomic). Every method mirrors the
 * script of the same purpose; see the Redis store for the semantics.
 */
export class InMemoryPresenceStore implements PresenceLeases {
  private readonly ttlMs: number;
  private readonly graceMs: number;
  /** user -> connection -> lease expiry (ms) */
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly announced = new Set<string>();
  /** user -> the moment (ms) they go offline unless a lease is renewed; exists exactly while announced. */
  private readonly offlineDue = new Map<string, number>();
  /** connection -> until when (ms) a late heartbeat of this closed connection is refused */
  private readonly closed = new Map<string, number>();

  constructor(
    { ttlSeconds, graceSeconds }: PresenceTimings,
    private readonly clock: () => number = Date.now,
  ) {
    this.ttlMs = ttlSeconds * 1000;
    this.graceMs = graceSeconds * 1000;
  }

  async renew(leases: Lease[]): Promise<string[]> {
    const now = this.clock();
    const wentOnline = new Set<string>();
    for (const { user_id, connection_id } of leases) {
      if ((this.closed.get(connection_id) ?? 0) > now) continue;
      const mine = this.leases.get(user_id) ?? new Map<string, number>();
      this.leases.set(user_id, mine);
      mine.set(connection_id, Math.max(mine.get(connection_id) ?? 0, now + this.ttlMs));
      this.offlineDue.set(user_id, this.lastLeaseEnd(user_id, now)! + this.graceMs);
      if (!this.announced.has(user_id)) {
        this.announced.add(user_id);
        wentOnline.add(user_id);
      }
    }
    return [...wentOnline];
  }

  async release({ user_id, connection_id }: Lease): Promise<void> {
    const now = this.clock();
    this.closed.set(connection_id, now + this.ttlMs);
    this.leases.get(user_id)?.delete(connection_id);
    if (!this.announced.has(user_id)) return;
    this.offlineDue.set(user_id, (this.lastLeaseEnd(user_id, now) ?? now) + this.graceMs);
  }

  async sweepOffline(pageSize = 500): Promise<{ offline: string[]; more: boolean }> {
    const now = this.clock();
    for (const [connection, until] of this.closed) if (until <= now) this.closed.delete(connection);
    const due = [...this.offlineDue].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]).slice(0, pageSize).map(([user]) => user);
    const offline: string[] = [];
    for (const user of due) {
      const last = this.lastLeaseEnd(user, now);
      if (last !== undefined) {
        this.offlineDue.set(user, last + this.graceMs);
        continue;
      }
      this.offlineDue.delete(user);
      if (this.announced.delete(user)) offline.push(user);
    }
    return { offline, more: due.length === pageSize };
  }

  async online(userIds: string[]): Promise<string[]> {
    const now = this.clock();
    return userIds.filter((user) => (this.offlineDue.get(user) ?? 0) > now);
  }

  /** The end of the user's latest live lease, after dropping expired ones; undefined when none lives. */
  private lastLeaseEnd(user: string, now: number): number | undefined {
    const mine = this.leases.get(user);
    if (!mine) return undefined;
    for (const [connection, expiry] of mine) if (expiry <= now) mine.delete(connection);
    if (mine.size === 0) {
      this.leases.delete(user);
      return undefined;
    }
    return Math.max(...mine.values());
  }
}

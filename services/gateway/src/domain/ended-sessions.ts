/**
 * The login sessions that ended (logout, refresh-token reuse) while some of their access tokens
 * may still be alive, each until the time past which all of them have expired. Pure bookkeeping;
 * the NATS notice and the auth service's list feed it (auth/session-revocations.ts).
 */
export class EndedSessions {
  private readonly until = new Map<string, number>();

  /** Records an ending; true when this gateway did not know it yet. */
  add(sessionId: string, expiresAtMs: number, nowMs: number): boolean {
    if (expiresAtMs <= nowMs || this.until.has(sessionId)) return false;
    this.until.set(sessionId, expiresAtMs);
    return true;
  }

  has(sessionId: string): boolean {
    return this.until.has(sessionId);
  }

  /** Forgets endings whose tokens have all expired (the expiry check refuses those by itself). */
  prune(nowMs: number): void {
    for (const [sessionId, expiresAt] of this.until) if (expiresAt <= nowMs) this.until.delete(sessionId);
  }

  get size(): number {
    return this.until.size;
  }
}

/**
 * Remembers who was recently confirmed a member, so a busy conversation does not ask the
 * conversations service on every send. Only "yes" is cached, for a short time, and a removal
 * notice forgets it at once; the time bound caps staleness if a notice is lost.
 */
export class MembershipCache {
  private readonly confirmedUntil = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  isKnownMember(conversationId: string, userId: string): boolean {
    const key = `${conversationId}:${userId}`;
    const until = this.confirmedUntil.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.confirmedUntil.delete(key);
    return false;
  }

  confirm(conversationId: string, userId: string): void {
    const key = `${conversationId}:${userId}`;
    this.confirmedUntil.delete(key);
    // Maps keep insertion order, so the first key is the oldest confirmation.
    if (this.confirmedUntil.size >= this.maxEntries) this.confirmedUntil.delete(this.confirmedUntil.keys().next().value!);
    this.confirmedUntil.set(key, this.now() + this.ttlMs);
  }

  forget(conversationId: string, userId: string): void {
    this.confirmedUntil.delete(`${conversationId}:${userId}`);
  }
}

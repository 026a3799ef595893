/**
 * Member lists of the conversations this gateway's sockets have joined, kept current by member
 * events, so `user_status` and `online_users` need no request per event.
 */
export class MemberDirectory {
  private readonly members = new Map<string, Set<string>>();

  constructor(private readonly maxConversations = 100_000) {}

  has(conversationId: string): boolean {
    return this.members.has(conversationId);
  }

  set(conversationId: string, memberIds: string[]): void {
    // Bounded: the oldest entry goes first; it is fetched again on the next join.
    if (!this.members.has(conversationId) && this.members.size >= this.maxConversations) {
      this.members.delete(this.members.keys().next().value!);
    }
    this.members.set(conversationId, new Set(memberIds));
  }

  /** Applies a member event to a cached list; unknown conversations stay unknown. */
  update(conversationId: string, userId: string, change: 'added' | 'removed'): void {
    const set = this.members.get(conversationId);
    if (change === 'added') set?.add(userId);
    else set?.delete(userId);
  }

  membersOf(conversationId: string): string[] {
    return [...(this.members.get(conversationId) ?? [])];
  }

  isMember(conversationId: string, userId: string): boolean {
    return this.members.get(conversationId)?.has(userId) ?? false;
  }

  forget(conversationId: string): void {
    this.members.delete(conversationId);
  }
}

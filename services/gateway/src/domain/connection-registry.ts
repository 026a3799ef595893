/**
 * Which sockets this gateway holds, for which users, and what each is looking at. Pure
 * bookkeeping, separate from the transport, so fan-out decisions are testable without sockets.
 */
export interface Connection {
  id: string;
  userId: string;
  username: string;
  /** Conversations this socket has joined (is looking at), for ephemeral events. */
  joined: Set<string>;
  /** Set for a socket scoped to one conversation (/conversations/{id}/ws). */
  scope?: string;
  /** The login session of the token the socket was opened or last renewed with (`auth` frame). */
  sessionId: string;
  /** When that token expires (ms since the epoch): the socket is closed then, unless renewed. */
  expiresAt: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  /** False from the moment the socket starts closing: work queued for it is no longer done. */
  isOpen(): boolean;
}

export class ConnectionRegistry {
  private readonly connections = new Map<string, Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  /** conversation -> local users who are members of it */
  private readonly membersByConversation = new Map<string, Set<string>>();

  add(connection: Connection): { firstForUser: boolean } {
    this.connections.set(connection.id, connection);
    const sockets = this.byUser.get(connection.userId) ?? new Set();
    sockets.add(connection);
    this.byUser.set(connection.userId, sockets);
    return { firstForUser: sockets.size === 1 };
  }

  /** Forgets a socket; returns the conversations no local user belongs to any more. */
  remove(connection: Connection): { lastForUser: boolean; abandoned: string[] } {
    this.connections.delete(connection.id);
    const sockets = this.byUser.get(connection.userId);
    sockets?.delete(connection);
    if (sockets && sockets.size > 0) return { lastForUser: false, abandoned: [] };
    this.byUser.delete(connection.userId);
    const abandoned: string[] = [];
    for (const [conversationId, members] of this.membersByConversation) {
      if (members.delete(connection.userId) && members.size === 0) {
        this.membersByConversation.delete(conversationId);
        abandoned.push(conversationId);
      }
    }
    return { lastForUser: true, abandoned };
  }

  /** Records that a connected user belongs to a conversation; true when it is new to this gateway. */
  addMembership(conversationId: string, userId: string): boolean {
    if (!this.byUser.has(userId)) return false;
    const members = this.membersByConversation.get(conversationId);
    if (members) {
      members.add(userId);
      return false;
    }
    this.membersByConversation.set(conversationId, new Set([userId]));
    return true;
  }

  /** Records that a user left a conversation; true when no local member is left (stop listening). */
  removeMembership(conversationId: string, userId: string): boolean {
    const members = this.membersByConversation.get(conversationId);
    if (!members?.delete(userId)) return false;
    for (const c of this.byUser.get(userId) ?? []) c.joined.delete(conversationId);
    if (members.size > 0) return false;
    this.membersByConversation.delete(conversationId);
    return true;
  }

  isInterested(conversationId: string): boolean {
    return this.membersByConversation.has(conversationId);
  }

  localMembers(conversationId: string): string[] {
    return [...(this.membersByConversation.get(conversationId) ?? [])];
  }

  /** Every socket of every local member: the audience of durable events. */
  memberSockets(conversationId: string): Connection[] {
    const out: Connection[] = [];
    for (const userId of this.membersByConversation.get(conversationId) ?? []) {
      for (const c of this.byUser.get(userId) ?? []) if (!c.scope || c.scope === conversationId) out.push(c);
    }
    return out;
  }

  /** Sockets looking at a conversation (sent `join`, or scoped to it): the audience of ephemeral events. */
  joinedSockets(conversationId: string, exceptUser?: string): Connection[] {
    return this.memberSockets(conversationId).filter((c) => c.userId !== exceptUser && c.joined.has(conversationId));
  }

  /** A user's sockets that take user-wide events (new conversations); scoped sockets only see their own. */
  socketsOf(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])].filter((c) => !c.scope);
  }

  /** Every socket of a user, scoped or not. */
  allSocketsOf(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** Sockets (other than the user's own) that joined a conversation `isShared` says the user belongs to. */
  statusAudience(userId: string, isShared: (conversationId: string) => boolean): Connection[] {
    const out: Connection[] = [];
    for (const c of this.connections.values()) {
      if (c.userId !== userId && [...c.joined].some(isShared)) out.push(c);
    }
    return out;
  }

  /** Every socket of a login session, on this gateway. */
  sessionSockets(sessionId: string): Connection[] {
    return this.all().filter((c) => c.sessionId === sessionId);
  }

  all(): Connection[] {
    return [...this.connections.values()];
  }

  get size(): number {
    return this.connections.size;
  }
}

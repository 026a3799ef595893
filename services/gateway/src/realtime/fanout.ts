import {
  ConversationEvent,
  UserEvent,
  UserStatusV1,
  contracts,
  conversationSubject,
  presenceSubjects,
  userSubject,
  type Message,
  type ServerFrame,
} from '@pneumatic/contracts';
import type { Bus, Logger, Subscription } from '@pneumatic/platform';
import type { Connection, ConnectionRegistry } from '../domain/connection-registry';
import { ConversationFeed } from '../domain/conversation-feed';
import type { MemberDirectory } from '../domain/member-directory';

const gapFillLimit = 200;

/** Counts each realtime event heard from NATS, by type: what interest-based subscriptions let through. */
export interface RealtimeReceipts {
  inc(labels: { event: string }): void;
}

interface Followed {
  sub: Subscription;
  feed: ConversationFeed;
  filling: boolean;
}

/** Serialized once per event, however many sockets it reaches. */
const serialize = (frame: ServerFrame) => JSON.stringify(frame);
const sendAll = (sockets: Connection[], frame: ServerFrame) => {
  if (sockets.length === 0) return;
  const data = serialize(frame);
  for (const c of sockets) c.send(data);
};

/**
 * Fan-out by interest: this gateway subscribes to a conversation's subjects only while one of its
 * sockets belongs to a member, orders messages through a feed, and serializes each event once.
 */
export class Fanout {
  private readonly conversationSubs = new Map<string, Followed>();
  private readonly userSubs = new Map<string, Subscription>();
  private statusSub: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly registry: ConnectionRegistry,
    private readonly directory: MemberDirectory,
    private readonly logger: Logger,
    private readonly received: RealtimeReceipts,
    /** Conversation ids per request when a user connects: ids only, whatever their summaries weigh. */
    private readonly followPageSize = 1000,
  ) {}

  /** Hears presence transitions for every local socket: one subscription per gateway. */
  start(): void {
    this.statusSub = this.bus.subscribe(presenceSubjects.status, UserStatusV1, (event) => {
      this.received.inc({ event: event.type });
      const { user_id, status } = event.data;
      const audience = this.registry.statusAudience(user_id, (c) => this.directory.isMember(c, user_id));
      sendAll(audience, { type: 'user_status', user_id, status });
    });
  }

  stop(): void {
    this.statusSub?.unsubscribe();
    for (const sub of this.userSubs.values()) sub.unsubscribe();
    for (const { sub } of this.conversationSubs.values()) sub.unsubscribe();
  }

  /** Starts hearing a newly connected user's own events and every conversation they belong to. */
  async watchUser(userId: string): Promise<void> {
    if (!this.userSubs.has(userId)) {
      this.userSubs.set(
        userId,
        this.bus.subscribe(userSubject(userId), UserEvent, (event) => this.onUserEvent(userId, event)),
      );
    }
    // In id order, which activity does not reorder mid-way; conversations joined meanwhile come as user events.
    let after: string | undefined;
    do {
      const page = await this.bus.call(contracts.conversationsIdsOf, { user_id: userId, limit: this.followPageSize, ...(after ? { after } : {}) });
      for (const id of page.conversation_ids) this.follow(id, userId);
      after = page.next_after ?? undefined;
    } while (after);
  }

  /** Called when a user's last socket here closed. */
  forgetUser(userId: string, abandoned: string[]): void {
    this.userSubs.get(userId)?.unsubscribe();
    this.userSubs.delete(userId);
    for (const conversationId of abandoned) this.unfollow(conversationId);
  }

  follow(conversationId: string, userId: string): void {
    if (!this.registry.addMembership(conversationId, userId)) return;
    const sub = this.bus.subscribe(conversationSubject(conversationId), ConversationEvent, (event) => this.onConversationEvent(event));
    this.conversationSubs.set(conversationId, { sub, feed: new ConversationFeed(), filling: false });
  }

  /** Offers a message from any path (realtime copy or a send's reply); each seq goes out once, in order. */
  offer(message: Message): void {
    const entry = this.conversationSubs.get(message.conversation_id);
    if (!entry) return;
    const { deliver, gapAfter } = entry.feed.offer(message);
    for (const m of deliver) this.deliver(m);
    if (gapAfter !== undefined && !entry.filling) void this.fillGap(message.conversation_id, gapAfter);
  }

  private unfollow(conversationId: string): void {
    this.conversationSubs.get(conversationId)?.sub.unsubscribe();
    this.conversationSubs.delete(conversationId);
    this.directory.forget(conversationId);
  }

  private onUserEvent(userId: string, event: UserEvent): void {
    this.received.inc({ event: event.type });
    const { conversation } = event.data;
    if (event.type === 'conversation.created') {
      this.follow(conversation.id, userId);
      if (this.directory.has(conversation.id)) this.directory.set(conversation.id, conversation.members);
      return sendAll(this.registry.socketsOf(userId), { type: 'conversation_created', conversation });
    }
    if (event.data.user_id !== userId) return;
    // Told before forgetting, so the removed user's own sockets learn why the conversation went quiet.
    const sockets = this.registry.allSocketsOf(userId);
    sendAll(sockets.filter((c) => !c.scope || c.scope === conversation.id), { type: 'member_removed', conversation, user_id: userId });
    for (const c of sockets) if (c.scope === conversation.id) c.close(4003, 'no longer a member');
    if (this.registry.removeMembership(conversation.id, userId)) this.unfollow(conversation.id);
  }

  private onConversationEvent(event: ConversationEvent): void {
    this.received.inc({ event: event.type });
    switch (event.type) {
      case 'message.sent':
        return this.offer(event.data.message);
      case 'message.edited':
        return this.toMembers(event.data.message.conversation_id, { type: 'message_edited', message: event.data.message });
      case 'message.deleted':
        return this.toMembers(event.data.message.conversation_id, { type: 'message_deleted', message: event.data.message });
      case 'message.reaction': {
        const { message_id, conversation_id, emoji, user_id, action } = event.data;
        return this.toMembers(conversation_id, { type: 'message_reaction', message_id, conversation_id, emoji, user_id, action });
      }
      case 'message.read': {
        const { conversation_id, user_id, seq } = event.data;
        return sendAll(this.registry.joinedSockets(conversation_id, user_id), { type: 'read', conversation_id, user_id, seq });
      }
      case 'typing': {
        const { conversation_id, user_id, username, is_typing } = event.data;
        const frame = { type: 'typing', conversation_id, user_id, username, is_typing } as const;
        return sendAll(this.registry.joinedSockets(conversation_id, user_id), frame);
      }
      case 'conversation.member_added':
      case 'conversation.member_removed': {
        const { conversation, user_id } = event.data;
        const added = event.type === 'conversation.member_added';
        this.directory.update(conversation.id, user_id, added ? 'added' : 'removed');
        const others = this.registry.memberSockets(conversation.id).filter((c) => c.userId !== user_id);
        return sendAll(others, { type: added ? 'member_added' : 'member_removed', conversation, user_id });
      }
    }
  }

  private toMembers(conversationId: string, frame: ServerFrame): void {
    sendAll(this.registry.memberSockets(conversationId), frame);
  }

  private deliver(message: Message): void {
    this.toMembers(message.conversation_id, { type: 'message', message });
    for (const userId of message.mentions) {
      if (userId === message.sender_id) continue;
      const sockets = this.registry.allSocketsOf(userId).filter((c) => !c.scope || c.scope === message.conversation_id);
      sendAll(sockets, { type: 'mention', message });
    }
  }

  private async fillGap(conversationId: string, afterSeq: number): Promise<void> {
    const entry = this.conversationSubs.get(conversationId);
    const reader = this.registry.localMembers(conversationId)[0];
    if (!entry || !reader) return;
    entry.filling = true;
    try {
      const page = await this.bus.call(contracts.messagesHistory, {
        actor_id: reader,
        conversation_id: conversationId,
        after_seq: afterSeq,
        limit: gapFillLimit,
      });
      entry.filling = false;
      for (const m of page.messages) this.offer(m);
    } catch (err) {
      entry.filling = false;
      this.logger.warn({ err, conversationId, afterSeq }, 'could not fill a gap; clients recover with sync');
    }
  }
}

import {
  ConversationCreatedV1,
  MessageSentV1,
  contracts,
  conversationSubject,
  userSubject,
  type Message,
} from '@pneumatic/contracts';
import type { Bus, Logger, Subscription } from '@pneumatic/platform';
import type { ConnectionRegistry } from '../domain/connection-registry';
import { ConversationFeed } from '../domain/conversation-feed';

const gapFillLimit = 200;

/**
 * Fan-out by interest: this gateway subscribes to a conversation's subject only while one of its
 * sockets belongs to a member, orders what arrives through a feed, and serializes each event once.
 */
export class Fanout {
  private readonly conversationSubs = new Map<string, { sub: Subscription; feed: ConversationFeed; filling: boolean }>();
  private readonly userSubs = new Map<string, Subscription>();

  constructor(
    private readonly bus: Bus,
    private readonly registry: ConnectionRegistry,
    private readonly logger: Logger,
  ) {}

  /** Starts hearing a newly connected user's own events and every conversation they belong to. */
  async watchUser(userId: string): Promise<void> {
    if (!this.userSubs.has(userId)) {
      this.userSubs.set(
        userId,
        this.bus.subscribe(userSubject(userId), ConversationCreatedV1, (event) => {
          const { conversation } = event.data;
          this.follow(conversation.id, userId);
          this.sendToUser(userId, JSON.stringify({ type: 'conversation_created', conversation }));
        }),
      );
    }
    const { conversations } = await this.bus.call(contracts.conversationsList, { actor_id: userId });
    for (const c of conversations) this.follow(c.id, userId);
  }

  /** Called when a user's last socket here closed. */
  forgetUser(userId: string, abandoned: string[]): void {
    this.userSubs.get(userId)?.unsubscribe();
    this.userSubs.delete(userId);
    for (const conversationId of abandoned) {
      this.conversationSubs.get(conversationId)?.sub.unsubscribe();
      this.conversationSubs.delete(conversationId);
    }
  }

  follow(conversationId: string, userId: string): void {
    if (!this.registry.addMembership(conversationId, userId)) return;
    const sub = this.bus.subscribe(conversationSubject(conversationId, 'message'), MessageSentV1, (event) =>
      this.offer(event.data.message),
    );
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

  private deliver(message: Message): void {
    const data = JSON.stringify({ type: 'message', message });
    for (const connection of this.registry.memberSockets(message.conversation_id)) connection.send(data);
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

  private sendToUser(userId: string, data: string): void {
    for (const connection of this.registry.socketsOf(userId)) connection.send(data);
  }
}

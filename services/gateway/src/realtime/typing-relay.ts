import { conversationSubject, type TypingV1 } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Connection } from '../domain/connection-registry';

/**
 * Publishes a socket's typing state to every gateway. The typer's own gateway owns the expiry:
 * without renewal within `expiryMs` (or when the socket leaves or closes) it publishes
 * `is_typing: false`, so a crashed client never leaves others watching a stale indicator.
 */
export class TypingRelay {
  /** `${connection id} ${conversation id}` -> expiry timer; at most one per joined conversation. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly bus: Bus,
    private readonly expiryMs: number,
  ) {}

  typing(connection: Connection, conversationId: string, isTyping: boolean): void {
    const key = `${connection.id} ${conversationId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (isTyping) {
      const timer = setTimeout(() => this.typing(connection, conversationId, false), this.expiryMs);
      timer.unref();
      this.timers.set(key, timer);
    }
    this.publish(connection, conversationId, isTyping);
  }

  /** Ends typing in one conversation (on leave) or in all of a socket's conversations (on close). */
  stop(connection: Connection, conversationId?: string): void {
    for (const key of this.timers.keys()) {
      const [connectionId, conv] = key.split(' ');
      if (connectionId === connection.id && (conversationId === undefined || conv === conversationId)) {
        this.typing(connection, conv!, false);
      }
    }
  }

  private publish(connection: Connection, conversationId: string, isTyping: boolean): void {
    const event: z.input<typeof TypingV1> = {
      id: randomUUID(),
      type: 'typing',
      version: 1,
      time: new Date().toISOString(),
      data: { conversation_id: conversationId, user_id: connection.userId, username: connection.username, is_typing: isTyping },
    };
    this.bus.publish(conversationSubject(conversationId, 'typing'), event);
  }
}

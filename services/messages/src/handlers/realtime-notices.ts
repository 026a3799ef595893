import {
  conversationSubject,
  type Message,
  type MessageDeletedV1,
  type MessageEditedV1,
  type MessageReactionV1,
  type MessageSentV1,
  type ReadReceiptV1,
} from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/**
 * Realtime copies for gateways, published after the events commit (core NATS, at most once);
 * history stays the source of truth for anything missed.
 */
type Notice = z.infer<typeof MessageSentV1 | typeof MessageEditedV1 | typeof MessageDeletedV1 | typeof MessageReactionV1 | typeof ReadReceiptV1>;

function publish<N extends Notice>(bus: Bus, conversationId: string, subjectName: string, type: N['type'], data: N['data']) {
  bus.publish(conversationSubject(conversationId, subjectName), { id: randomUUID(), type, version: 1, time: new Date().toISOString(), data });
}

export const publishSent = (bus: Bus, message: Message) =>
  publish<z.infer<typeof MessageSentV1>>(bus, message.conversation_id, 'message', 'message.sent', { message });

export const publishEdited = (bus: Bus, message: Message) =>
  publish<z.infer<typeof MessageEditedV1>>(bus, message.conversation_id, 'message_edited', 'message.edited', { message });

export const publishDeleted = (bus: Bus, message: Message) =>
  publish<z.infer<typeof MessageDeletedV1>>(bus, message.conversation_id, 'message_deleted', 'message.deleted', { message });

export const publishReaction = (bus: Bus, message: Message, reaction: { emoji: string; user_id: string; action: 'add' | 'remove' }) =>
  publish<z.infer<typeof MessageReactionV1>>(bus, message.conversation_id, 'message_reaction', 'message.reaction', {
    message_id: message.id,
    conversation_id: message.conversation_id,
    ...reaction,
    message,
  });

export const publishRead = (bus: Bus, read: { conversation_id: string; user_id: string; seq: number }) =>
  publish<z.infer<typeof ReadReceiptV1>>(bus, read.conversation_id, 'read', 'message.read', read);

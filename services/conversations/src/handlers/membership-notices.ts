import {
  conversationSubject,
  userSubject,
  type Conversation,
  type ConversationCreatedV1,
  type MemberAddedV1,
  type MemberRemovedV1,
} from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/** Realtime notices, published after the events commit, so every device shows changes without polling. */
const envelope = <E extends { type: string; data: unknown }>(type: E['type'], data: E['data']) => ({
  id: randomUUID(),
  type,
  version: 1 as const,
  time: new Date().toISOString(),
  data,
});

/** To every member of a new conversation, or to members newly added to one. */
export function announceConversation(bus: Bus, conversation: Conversation, to: string[]): void {
  const notice = envelope<z.infer<typeof ConversationCreatedV1>>('conversation.created', { conversation });
  for (const member of to) bus.publish(userSubject(member, 'conversation_created'), notice);
}

export function announceMembersAdded(bus: Bus, conversation: Conversation, userIds: string[]): void {
  for (const user_id of userIds) {
    bus.publish(
      conversationSubject(conversation.id, 'member_added'),
      envelope<z.infer<typeof MemberAddedV1>>('conversation.member_added', { conversation, user_id }),
    );
  }
  announceConversation(bus, conversation, userIds);
}

/** To the remaining members, and to the one removed, whose devices no longer hear the conversation. */
export function announceMemberRemoved(bus: Bus, conversation: Conversation, userId: string): void {
  const notice = envelope<z.infer<typeof MemberRemovedV1>>('conversation.member_removed', { conversation, user_id: userId });
  bus.publish(conversationSubject(conversation.id, 'member_removed'), notice);
  bus.publish(userSubject(userId, 'member_removed'), notice);
}

import { DomainError, contracts, conversationSubject, type MessageSentV1 } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { MessageStore } from '../store/message-store';

const queue = 'messages';

/** Sends and history reads; membership is the conversations service's to answer. */
export function registerMessageHandlers(bus: Bus, store: MessageStore) {
  const membership = async (conversationId: string, userId: string) => {
    const { exists, member } = await bus.call(contracts.conversationsMembership, {
      conversation_id: conversationId,
      user_id: userId,
    });
    if (!exists) throw new DomainError('not_found', 'conversation not found');
    return member;
  };

  return [
    bus.serve(
      contracts.messagesSend,
      async (req) => {
        const senderIsMember = await membership(req.conversation_id, req.actor_id);
        const result = await store.appendMessage({
          conversationId: req.conversation_id,
          clientMessageId: req.message_id,
          senderId: req.actor_id,
          senderUsername: req.sender_username,
          content: req.content,
          senderIsMember,
        });
        if (!result.duplicate) publishSent(bus, result.message);
        return result;
      },
      { queue },
    ),
    bus.serve(
      contracts.messagesHistory,
      async ({ actor_id, conversation_id, ...cursor }) => {
        if (!(await membership(conversation_id, actor_id))) {
          throw new DomainError('not_a_member', 'not a member of this conversation');
        }
        return store.page(conversation_id, cursor);
      },
      { queue },
    ),
  ];
}

/** The realtime copy for gateways; history stays the source of truth for anything missed. */
function publishSent(bus: Bus, message: z.infer<typeof MessageSentV1>['data']['message']): void {
  const event: z.infer<typeof MessageSentV1> = {
    id: randomUUID(),
    type: 'message.sent',
    version: 1,
    time: new Date().toISOString(),
    data: { message },
  };
  bus.publish(conversationSubject(message.conversation_id, 'message'), event);
}

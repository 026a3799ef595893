import { randomUUID } from 'node:crypto';
import { DomainError, contracts, userSubject, type Conversation, type ConversationCreatedV1 } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { z } from 'zod';
import { decide } from '../domain/conversation';
import type { ConversationStore } from '../store/conversation-store';
import { toView } from './conversation-view';
import { requireKnownUsers } from './known-users';

const queue = 'conversations';

export function registerConversationHandlers(bus: Bus, store: ConversationStore, logger: Logger) {
  return [
    bus.serve(
      contracts.conversationsCreate,
      async ({ actor_id, title, member_ids }) => {
        const command = {
          type: 'CreateConversation' as const,
          data: { conversationId: randomUUID(), actorId: actor_id, title, memberIds: member_ids, now: new Date() },
        };
        // Deciding first is pure and cheap: a broken rule is reported before auth is asked about ids.
        const [event] = decide(command, null);
        await requireKnownUsers(bus, event!.data.members.filter((id) => id !== actor_id));
        const { conversation, created } = await store.create(event!);
        const view = toView(conversation);
        if (created) announceCreated(bus, view, logger);
        return { conversation: view, created };
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsGet,
      async ({ actor_id, conversation_id }) => {
        const conversation = await store.get(conversation_id);
        if (!conversation) throw new DomainError('not_found', 'conversation not found');
        if (!conversation.members.includes(actor_id)) throw new DomainError('not_a_member', 'not a member of this conversation');
        return toView(conversation);
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsList,
      async ({ actor_id }) => ({ conversations: (await store.listFor(actor_id)).map(toView) }),
      { queue },
    ),
    bus.serve(contracts.conversationsMembership, ({ conversation_id, user_id }) => store.membership(conversation_id, user_id), {
      queue,
    }),
  ];
}

/** Realtime notice after commit, so every member's devices show the new conversation without polling. */
function announceCreated(bus: Bus, conversation: Conversation, logger: Logger) {
  const envelope: z.input<typeof ConversationCreatedV1> = {
    id: randomUUID(),
    type: 'conversation.created',
    version: 1,
    time: new Date().toISOString(),
    data: { conversation },
  };
  for (const member of conversation.members) bus.publish(userSubject(member, 'conversation_created'), envelope);
  logger.debug({ conversationId: conversation.id, members: conversation.member_count }, 'conversation created');
}

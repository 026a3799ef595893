import { randomUUID } from 'node:crypto';
import { DomainError, contracts, type Conversation } from '@pneumatic/contracts';
import { commandMetadata, type Bus, type Logger } from '@pneumatic/platform';
import { decide } from '../domain/conversation';
import { decodeListCursor, encodeListCursor, withinBytes } from '../domain/conversation-page';
import type { ConversationStore } from '../store/conversation-store';
import { toView } from './conversation-view';
import { requireKnownUsers } from './known-users';
import { announceConversation, announceMemberRemoved, announceMembersAdded } from './membership-notices';

const queue = 'conversations';

/** Adds the projected summaries (last message, last seq, unread count) for a reader; see projections/summary-view. */
type Summarize = (readerId: string, views: Conversation[]) => Promise<Conversation[]>;

export function registerConversationHandlers(bus: Bus, store: ConversationStore, logger: Logger, summarize: Summarize = async (_reader, views) => views) {
  return [
    bus.serve(
      contracts.conversationsCreate,
      async ({ actor_id, title, member_ids, kind }) => {
        const command = {
          type: 'CreateConversation' as const,
          data: { conversationId: randomUUID(), actorId: actor_id, title, memberIds: member_ids, now: new Date(), ...(kind ? { kind } : {}) },
        };
        // Deciding first is pure and cheap: a broken rule is reported before auth is asked about ids.
        const [event] = decide(command, null);
        await requireKnownUsers(bus, event!.data.members.filter((id) => id !== actor_id));
        const { conversation, created } = await store.create(event!, commandMetadata(randomUUID()));
        const view = toView(conversation);
        if (created) {
          announceConversation(bus, view, view.members);
          logger.debug({ conversationId: view.id, members: view.member_count }, 'conversation created');
        }
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
        return (await summarize(actor_id, [toView(conversation)]))[0]!;
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsList,
      async ({ actor_id, limit, cursor }) => {
        const after = cursor ? decodeListCursor(cursor) : null;
        if (cursor && !after) throw new DomainError('validation_error', 'cursor: not a cursor from a previous page');
        // One row past the page tells whether another page follows.
        const rows = await store.pageFor(actor_id, after, limit + 1);
        const page = rows.slice(0, limit);
        // Counted pages of large summaries (long last messages, big groups) would pass a NATS message: bytes end a page too.
        const conversations = withinBytes(await summarize(actor_id, page.map((r) => toView(r.conversation))));
        const last = rows[conversations.length - 1];
        const more = rows.length > conversations.length;
        return { conversations, next_cursor: more && last ? encodeListCursor(last.position) : null };
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsIdsOf,
      async ({ user_id, limit, after }) => {
        const ids = await store.idsOf(user_id, after ?? null, limit + 1);
        const page = ids.slice(0, limit);
        return { conversation_ids: page, next_after: ids.length > limit ? page[page.length - 1]! : null };
      },
      { queue },
    ),
    bus.serve(contracts.conversationsMembership, ({ conversation_id, user_id }) => store.membership(conversation_id, user_id), {
      queue,
    }),
    bus.serve(
      contracts.conversationsAddMembers,
      async ({ actor_id, conversation_id, user_ids }) => {
        await requireKnownUsers(bus, user_ids, 'user_ids');
        const command = { type: 'AddMembers' as const, data: { actorId: actor_id, userIds: user_ids, now: new Date() } };
        const { conversation, events } = await store.update(conversation_id, command, commandMetadata(randomUUID()));
        const view = toView(conversation);
        for (const event of events) if (event.type === 'conversation.members_added') announceMembersAdded(bus, view, event.data.userIds);
        return view;
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsRemoveMember,
      async ({ actor_id, conversation_id, user_id }) => {
        const command = { type: 'RemoveMember' as const, data: { actorId: actor_id, userId: user_id, now: new Date() } };
        const { conversation, events } = await store.update(conversation_id, command, commandMetadata(randomUUID()));
        if (events.length > 0) announceMemberRemoved(bus, toView(conversation), user_id);
        return {};
      },
      { queue },
    ),
    bus.serve(
      contracts.conversationsRename,
      async ({ actor_id, conversation_id, title }) => {
        const command = { type: 'RenameConversation' as const, data: { actorId: actor_id, title, now: new Date() } };
        return toView((await store.update(conversation_id, command, commandMetadata(randomUUID()))).conversation);
      },
      { queue },
    ),
  ];
}

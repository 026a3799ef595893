import { DomainError, contracts, type Message } from '@pneumatic/contracts';
import { commandMetadata, type Bus, type Logger } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AppendResult, MessageStore, SendItem } from '../store/message-store';
import { MembershipCache } from '../domain/membership-cache';
import type { ReactionBounds } from '../domain/message-stream';
import { forgetRemovedMembers, isMember, senderAndMentions, type UsernameDirectory } from './membership';
import { publishDeleted, publishEdited, publishReaction, publishRead, publishSent } from './realtime-notices';

const queue = 'messages';
/** A request as its handler gets it, validated. */
type Parsed<C extends { request: z.ZodType }> = z.infer<C['request']>;
/** How long a confirmed membership is trusted without asking again, should a removal notice be lost. */
const membershipTrustMs = 10_000;

export interface MessageHandlerDeps {
  bus: Bus;
  store: MessageStore;
  /** Stores a send: batched with others (group commit) or in a transaction of its own. */
  appendMessage: (item: SendItem) => Promise<AppendResult>;
  logger: Logger;
  /** Resolves mentioned @usernames without asking auth (the user directory projection). */
  directory: UsernameDirectory;
  bounds: MessageBounds;
}

interface MessageBounds {
  /** A history page stops before passing this many bytes of messages (JSON), however many were asked for. */
  historyPageMaxBytes: number;
  reactions: ReactionBounds;
}

/**
 * Sends, changes, read receipts and history reads; membership is the conversations service's to
 * answer. Every replica serves every subject in the `messages` queue group; `servePartition`
 * serves one partition's subjects of sends and read receipts, for the replica leasing it.
 */
export function registerMessageHandlers({ bus, store, appendMessage, logger, directory, bounds }: MessageHandlerDeps) {
  const memberships = new MembershipCache(membershipTrustMs);
  /** The message a client names, checked against the caller's membership of its conversation. */
  const messageFor = async (reference: string, actorId: string): Promise<{ message: Message; actorIsMember: boolean }> => {
    const message = await store.locate(reference, actorId);
    if (!message) throw new DomainError('not_found', 'message not found');
    return { message, actorIsMember: await isMember(bus, message.conversation_id, actorId, memberships) };
  };

  const send = async (req: Parsed<typeof contracts.messagesSend>) => {
    const { senderIsMember, mentions } = await senderAndMentions(bus, logger, directory, {
      conversationId: req.conversation_id,
      senderId: req.actor_id,
      content: req.content,
    }, memberships);
    const result = await appendMessage({
      request: {
        conversationId: req.conversation_id,
        clientMessageId: req.message_id,
        actorId: req.actor_id,
        actorIsMember: senderIsMember,
        senderUsername: req.sender_username,
        content: req.content,
        mentions,
      },
      metadata: commandMetadata(randomUUID()),
    });
    if (!result.duplicate) publishSent(bus, result.message);
    return result;
  };
  const markRead = async ({ actor_id, conversation_id, seq }: Parsed<typeof contracts.messagesRead>) => {
    const actorIsMember = await isMember(bus, conversation_id, actor_id, memberships);
    const command = { type: 'MarkRead' as const, actorId: actor_id, actorIsMember, seq, now: new Date() };
    const read = await store.markRead(conversation_id, command, commandMetadata(randomUUID()));
    if (read.moved) publishRead(bus, { conversation_id, user_id: actor_id, seq: read.seq });
    return read;
  };

  const subscriptions = [
    forgetRemovedMembers(bus, memberships),
    bus.serve(contracts.messagesSend, send, { queue }),
    bus.serve(
      contracts.messagesHistory,
      async ({ actor_id, conversation_id, ...cursor }) => {
        if (!(await isMember(bus, conversation_id, actor_id, memberships))) throw new DomainError('not_a_member', 'not a member of this conversation');
        return store.page(conversation_id, { ...cursor, maxBytes: bounds.historyPageMaxBytes });
      },
      { queue },
    ),
    bus.serve(
      contracts.messagesEdit,
      async ({ actor_id, message_id, content }) => {
        const { message, actorIsMember } = await messageFor(message_id, actor_id);
        const command = { type: 'EditMessage' as const, messageId: message.id, actorId: actor_id, actorIsMember, content, now: new Date() };
        const changed = await store.changeMessage(message.conversation_id, command, commandMetadata(randomUUID()));
        if (changed.events.length > 0) publishEdited(bus, changed.message);
        return changed.message;
      },
      { queue },
    ),
    bus.serve(
      contracts.messagesDelete,
      async ({ actor_id, message_id }) => {
        const { message, actorIsMember } = await messageFor(message_id, actor_id);
        const command = { type: 'DeleteMessage' as const, messageId: message.id, actorId: actor_id, actorIsMember, now: new Date() };
        const changed = await store.changeMessage(message.conversation_id, command, commandMetadata(randomUUID()));
        if (changed.events.length > 0) publishDeleted(bus, changed.message);
        return changed.message;
      },
      { queue },
    ),
    bus.serve(
      contracts.messagesReact,
      async ({ actor_id, message_id, emoji, action }) => {
        const { message, actorIsMember } = await messageFor(message_id, actor_id);
        const command = {
          type: 'ReactToMessage' as const,
          messageId: message.id,
          actorId: actor_id,
          actorIsMember,
          emoji,
          action,
          bounds: bounds.reactions,
          now: new Date(),
        };
        const changed = await store.changeMessage(message.conversation_id, command, commandMetadata(randomUUID()));
        if (changed.events.length > 0) publishReaction(bus, changed.message, { emoji, user_id: actor_id, action });
        return changed.message;
      },
      { queue },
    ),
    bus.serve(contracts.messagesRead, markRead, { queue }),
  ];
  /** Sends and read receipts of one partition, on its own subjects, while this replica leases it. */
  const servePartition = (partition: number) => [
    bus.serve(contracts.messagesSend, send, { queue, partition }),
    bus.serve(contracts.messagesRead, markRead, { queue, partition }),
  ];
  return { subscriptions, servePartition };
}

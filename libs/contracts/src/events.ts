import { z } from 'zod';
import { Conversation, Id, Message, User } from './models';

/**
 * Events that cross service boundaries. Each has a type and a schema version; a consumer
 * validates the envelope and the data of the versions it knows.
 */
const envelope = <T extends string, V extends number, D extends z.ZodType>(type: T, version: V, data: D) =>
  z.object({
    id: Id,
    type: z.literal(type),
    version: z.literal(version),
    time: z.string(),
    data,
  });

export const MessageSentV1 = envelope('message.sent', 1, z.object({ message: Message }));
export const ConversationCreatedV1 = envelope('conversation.created', 1, z.object({ conversation: Conversation }));
export const UserRegisteredV1 = envelope('user.registered', 1, z.object({ user: User }));

export const MessageEditedV1 = envelope('message.edited', 1, z.object({ message: Message }));
export const MessageDeletedV1 = envelope('message.deleted', 1, z.object({ message: Message }));
export const MessageReactionV1 = envelope(
  'message.reaction',
  1,
  z.object({
    message_id: Id,
    conversation_id: Id,
    emoji: z.string(),
    user_id: Id,
    action: z.enum(['add', 'remove']),
    message: Message,
  }),
);
export const ReadReceiptV1 = envelope('message.read', 1, z.object({ conversation_id: Id, user_id: Id, seq: z.number().int() }));
export const MemberAddedV1 = envelope('conversation.member_added', 1, z.object({ conversation: Conversation, user_id: Id }));
export const MemberRemovedV1 = envelope('conversation.member_removed', 1, z.object({ conversation: Conversation, user_id: Id }));
/** Ephemeral, gateway to gateway; never stored. */
export const TypingV1 = envelope(
  'typing',
  1,
  z.object({ conversation_id: Id, user_id: Id, username: z.string(), is_typing: z.boolean() }),
);
export const UserStatusV1 = envelope('user.status', 1, z.object({ user_id: Id, status: z.enum(['online', 'offline']) }));

/**
 * A login session that ended: logout, or a refresh-token reuse that revoked its family. Its access
 * tokens (claim `sid` = session_id) are refused until `expires_at`, after which they have all expired.
 */
export const SessionEnded = z.object({
  session_id: Id,
  user_id: Id,
  reason: z.enum(['logout', 'refresh_token_reuse']),
  ended_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
});
export type SessionEnded = z.infer<typeof SessionEnded>;

/** Everything a gateway may hear on a conversation's subject. */
export const ConversationEvent = z.discriminatedUnion('type', [
  MessageSentV1,
  MessageEditedV1,
  MessageDeletedV1,
  MessageReactionV1,
  ReadReceiptV1,
  MemberAddedV1,
  MemberRemovedV1,
  TypingV1,
]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;
/** Everything a gateway may hear on a user's subject. */
export const UserEvent = z.discriminatedUnion('type', [ConversationCreatedV1, MemberRemovedV1]);
export type UserEvent = z.infer<typeof UserEvent>;

export const PresenceConnection = z.object({ connection_id: z.string().min(1).max(64), user_id: Id });
/** A socket that connected to or disconnected from a gateway (`presence.connected`, `presence.disconnected`). */
export const PresenceTransition = PresenceConnection.extend({ gateway_id: z.string().min(1).max(64) });
/** One message per gateway per interval, listing every live connection (not one message per socket). */
export const PresenceHeartbeat = z.object({
  gateway_id: z.string().min(1).max(64),
  connections: z.array(PresenceConnection).max(100_000),
});

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

export const ConversationEvent = z.discriminatedUnion('type', [MessageSentV1]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;
export const UserEvent = z.discriminatedUnion('type', [ConversationCreatedV1]);
export type UserEvent = z.infer<typeof UserEvent>;

export const PresenceConnection = z.object({ connection_id: z.string().min(1).max(64), user_id: Id });
export const PresenceConnected = PresenceConnection.extend({ gateway_id: z.string().min(1).max(64) });
export const PresenceDisconnected = PresenceConnected;
/** One message per gateway per interval, listing every live connection (not one message per socket). */
export const PresenceHeartbeat = z.object({
  gateway_id: z.string().min(1).max(64),
  connections: z.array(PresenceConnection).max(100_000),
});

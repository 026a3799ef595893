import { z } from 'zod';

export const Id = z.uuid();
export const Timestamp = z.string();

export const User = z.object({
  id: Id,
  username: z.string(),
  full_name: z.string().nullable(),
});
export type User = z.infer<typeof User>;

export const UserWithPresence = User.extend({ online: z.boolean() });
export type UserWithPresence = z.infer<typeof UserWithPresence>;

export const TokenPair = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('bearer'),
});
export type TokenPair = z.infer<typeof TokenPair>;

const ReactionEntries = z.array(z.tuple([z.string(), z.array(Id)]));
const isPlainObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * Emoji -> the ids of the users who reacted with it. Checked entry by entry and passed on as it
 * came: z.record builds a new object and silently drops an `__proto__` key, and that is a name an
 * emoji may have (build and read these maps with own-property operations only: reactions.ts).
 */
export const Reactions = z
  .custom<Record<string, string[]>>(
    (value) => isPlainObject(value) && ReactionEntries.safeParse(Object.entries(value)).success,
    'reactions: an object of emoji -> user ids',
  )
  .meta({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string', format: 'uuid' } } });
export type Reactions = z.infer<typeof Reactions>;

export const Message = z.object({
  id: Id,
  message_id: z.string(),
  conversation_id: Id,
  seq: z.number().int().positive(),
  sender_id: Id,
  sender_username: z.string(),
  content: z.string(),
  created_at: Timestamp,
  edited_at: Timestamp.nullable(),
  deleted: z.boolean(),
  reactions: Reactions,
  mentions: z.array(Id),
});
export type Message = z.infer<typeof Message>;

export const ConversationKind = z.enum(['direct', 'group']);

export const Conversation = z.object({
  id: Id,
  title: z.string(),
  kind: ConversationKind,
  members: z.array(Id),
  member_count: z.number().int(),
  last_message: Message.nullable(),
  last_seq: z.number().int(),
  unread_count: z.number().int(),
  created_at: Timestamp,
});
export type Conversation = z.infer<typeof Conversation>;

export const MessagePage = z.object({ messages: z.array(Message), has_more: z.boolean() });
export type MessagePage = z.infer<typeof MessagePage>;

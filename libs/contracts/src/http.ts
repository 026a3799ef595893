import { z } from 'zod';
import { limits, usernamePattern } from './limits';
import { ConversationKind, Id } from './models';

/** Bodies and queries of the public HTTP API (shared/API.md), validated by the gateway. */

/**
 * Text that reaches Postgres, refused here instead of failing the write: a text value cannot hold
 * U+0000, and a lone UTF-16 surrogate (`"\ud800"` in JSON) is no Unicode character at all, so it
 * has no UTF-8 form (jsonb refuses its escape; a text column would silently get U+FFFD).
 */
const text = () =>
  z
    .string()
    .regex(/^[^\u0000]*$/, 'must not contain the NUL character (U+0000)')
    .regex(/^\P{Cs}*$/u, 'must not contain a lone surrogate (an unpaired UTF-16 code unit such as \\ud800)');

export const Username = z
  .string()
  .min(limits.usernameMinChars)
  .max(limits.usernameMaxChars)
  .regex(usernamePattern, 'may contain only letters, digits, "_", "." and "-"');

/** The minimum length is the auth service's setting (PASSWORD_MIN_LENGTH); the contract bounds the maximum. */
export const Password = z.string().min(1).max(limits.passwordMaxChars);

export const SignupBody = z.object({
  username: Username,
  password: Password,
  full_name: text().trim().max(limits.fullNameMaxChars).nullish(),
});

export const LoginBody = z.object({
  username: text().min(1).max(limits.usernameMaxChars * 4),
  password: Password,
});

export const RefreshBody = z.object({ refresh_token: text().min(1).max(4096) });

export const Content = text().min(1).max(limits.contentMaxChars);
export const ClientMessageId = text().min(1).max(limits.clientMessageIdMaxChars);

export const CreateConversationBody = z.object({
  title: text().trim().max(limits.titleMaxChars).default(''),
  member_ids: z.array(Id).max(limits.groupMaxMembers - 1),
  /** Absent: one other member makes the pair's direct conversation, more make a group. */
  kind: ConversationKind.optional(),
});

export const SendMessageBody = z.object({
  message_id: ClientMessageId,
  sender_id: Id,
  conversation_id: Id,
  content: Content,
});

export const PostConversationMessageBody = z.object({
  content: Content,
  message_id: ClientMessageId.optional(),
});

export const Emoji = text().min(1).max(32);

export const EditMessageBody = z.object({ content: Content });
export const ReactionBody = z.object({ emoji: Emoji });
export const ReadBody = z.object({ seq: z.number().int().min(0) });
export const AddMembersBody = z.object({ user_ids: z.array(Id).min(1).max(limits.groupMaxMembers - 1) });

const intParam = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** An opaque keyset cursor from a previous page. */
const Cursor = text().max(200);

export const HistoryQuery = z.object({
  limit: intParam(1, limits.historyMaxLimit).default(limits.historyDefaultLimit),
  before_seq: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
  after_seq: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const UsersQuery = z.object({
  q: text().max(limits.usernameMaxChars).optional(),
  limit: intParam(1, limits.usersMaxLimit).default(limits.usersDefaultLimit),
  cursor: Cursor.optional(),
});

export const ConversationsQuery = z.object({
  limit: intParam(1, limits.conversationsMaxLimit).default(limits.conversationsDefaultLimit),
  cursor: Cursor.optional(),
});

export const PresenceQuery = z.object({
  user_ids: z
    .string()
    .max(200 * 37)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(Id).max(200)),
});

export const ConversationParams = z.object({ id: Id });

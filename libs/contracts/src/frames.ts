import { z } from 'zod';
import { ErrorCode } from './errors';
import { ClientMessageId, Content, Emoji } from './http';
import { Conversation, Id, Message } from './models';

/** WebSocket frames (shared/API.md, "WebSocket"). Every client frame may carry a `ref` echoed in replies. */

const Ref = z.union([z.string().max(128), z.number()]).optional();
const frame = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ref: Ref, ...shape });

export const JoinFrame = frame('join', { conversation_id: Id });
export const LeaveFrame = frame('leave', { conversation_id: Id });
export const MessageFrame = frame('message', {
  message_id: ClientMessageId,
  conversation_id: Id,
  content: Content,
});
export const EditFrame = frame('edit', { message_id: ClientMessageId, content: Content });
export const DeleteFrame = frame('delete', { message_id: ClientMessageId });
export const ReactionFrame = frame('reaction', {
  message_id: ClientMessageId,
  emoji: Emoji,
  action: z.enum(['add', 'remove']),
});
export const TypingFrame = frame('typing', { conversation_id: Id, is_typing: z.boolean().default(true) });
export const ReadFrame = frame('read', { conversation_id: Id, seq: z.number().int().min(0) });
export const SyncFrame = frame('sync', { conversation_id: Id, after_seq: z.number().int().min(0) });
export const GetOnlineUsersFrame = frame('get_online_users', { conversation_id: Id });
export const PingFrame = frame('ping', {});
/** Renews the socket with a fresh access token of the same user (API.md: a socket lives no longer than its token). */
export const AuthFrame = frame('auth', { token: z.string().min(1).max(4096) });

export const ClientFrame = z.discriminatedUnion('type', [
  JoinFrame,
  LeaveFrame,
  MessageFrame,
  EditFrame,
  DeleteFrame,
  ReactionFrame,
  TypingFrame,
  ReadFrame,
  SyncFrame,
  GetOnlineUsersFrame,
  PingFrame,
  AuthFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];
export const clientFrameTypes = ClientFrame.options.map((o) => o.shape.type.value);

/** A frame on the per-conversation socket (seed 003): just content, optionally with a message_id. */
export const ScopedMessageFrame = z.object({ content: Content, message_id: ClientMessageId.optional() });

export type ServerFrame =
  | { type: 'joined' | 'left'; conversation_id: string; ref?: string | number }
  | { type: 'message' | 'message_edited' | 'message_deleted' | 'mention'; message: Message; ref?: string | number }
  | { type: 'conversation_created'; conversation: Conversation }
  | { type: 'member_added' | 'member_removed'; conversation: Conversation; user_id: string }
  | {
      type: 'message_reaction';
      message_id: string;
      conversation_id: string;
      emoji: string;
      user_id: string;
      action: 'add' | 'remove';
    }
  | { type: 'typing'; conversation_id: string; user_id: string; username: string; is_typing: boolean }
  | { type: 'read'; conversation_id: string; user_id: string; seq: number }
  | { type: 'user_status'; user_id: string; status: 'online' | 'offline' }
  | { type: 'online_users'; conversation_id: string; users: string[]; ref?: string | number }
  | { type: 'sync'; conversation_id: string; messages: Message[]; has_more: boolean; ref?: string | number }
  | { type: 'pong'; timestamp: string; ref?: string | number }
  | { type: 'authenticated'; expires_at: string; ref?: string | number }
  | { type: 'connection'; status: 'connected'; conversation_id: string; user_id: string }
  | { type: 'error'; code: ErrorCode; reason: string; ref?: string | number };

import { z } from 'zod';
import { ErrorCode } from './errors';
import { SessionEnded } from './events';
import { ClientMessageId, Content, ConversationsQuery, Emoji, HistoryQuery, LoginBody, RefreshBody, SignupBody } from './http';
import { limits } from './limits';
import { Conversation, ConversationKind, Id, Message, MessagePage, TokenPair, User } from './models';
import { rpcSubjects } from './subjects';

/** A request/reply pair on one NATS subject, validated on both sides. */
export interface RpcContract<Req extends z.ZodType, Rep extends z.ZodType> {
  subject: string;
  request: Req;
  reply: Rep;
  /**
   * The request field whose value picks the partition (see partitions.ts): a caller that
   * partitions sends to `<subject>.<partition>`, which one replica at a time serves.
   */
  partitionKey?: 'conversation_id';
}
const rpc = <Req extends z.ZodType, Rep extends z.ZodType>(subject: string, request: Req, reply: Rep) =>
  ({ subject, request, reply }) satisfies RpcContract<Req, Rep>;
/** A contract whose requests go to the replica owning their conversation's partition. */
const byConversation = <Req extends z.ZodType, Rep extends z.ZodType>(subject: string, request: Req, reply: Rep) =>
  ({ ...rpc(subject, request, reply), partitionKey: 'conversation_id' as const }) satisfies RpcContract<Req, Rep>;

/** Every reply travels in this envelope, so an expected failure is data rather than a timeout. */
export const RpcFailure = z.object({ ok: z.literal(false), error: z.object({ code: ErrorCode, detail: z.string() }) });
export type RpcFailure = z.infer<typeof RpcFailure>;

const Actor = { actor_id: Id };
const Jwk = z.object({ kid: z.string(), kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), alg: z.string(), use: z.string() });

export const contracts = {
  authSignup: rpc(rpcSubjects.authSignup, SignupBody, User),
  authLogin: rpc(rpcSubjects.authLogin, LoginBody, TokenPair),
  authRefresh: rpc(rpcSubjects.authRefresh, RefreshBody, TokenPair),
  authLogout: rpc(rpcSubjects.authLogout, RefreshBody.extend(Actor), z.object({})),
  authJwks: rpc(rpcSubjects.authJwks, z.object({}), z.object({ keys: z.array(Jwk) })),
  /**
   * Internal: sessions ended after (`since`, `after_session_id`) whose tokens may still be alive,
   * oldest first, a page at a time; `as_of` is the auth database's clock, for the next `since`.
   */
  authEndedSessions: rpc(
    rpcSubjects.authEndedSessions,
    z.object({ since: z.iso.datetime(), after_session_id: Id.optional(), limit: z.number().int().min(1).max(1000) }),
    z.object({ sessions: z.array(SessionEnded).max(1000), has_more: z.boolean(), as_of: z.iso.datetime() }),
  ),
  usersGet: rpc(rpcSubjects.usersGet, z.object({ user_id: Id }), User),
  /** Internal: the users among these ids (unknown ids are simply absent). */
  usersLookup: rpc(rpcSubjects.usersLookup, z.object({ user_ids: z.array(Id).max(1000) }), z.object({ users: z.array(User) })),
  /** Internal: the users with these usernames (case-insensitive; unknown names are simply absent). */
  usersResolve: rpc(
    rpcSubjects.usersResolve,
    z.object({ usernames: z.array(z.string().max(32)).max(100) }),
    z.object({ users: z.array(User) }),
  ),
  usersList: rpc(
    rpcSubjects.usersList,
    z.object({
      q: z.string().max(32).optional(),
      limit: z.number().int().min(1).max(limits.usersMaxLimit),
      cursor: z.string().max(200).optional(),
      /** Leaves this user out (the caller of GET /users). */
      except_id: Id.optional(),
    }),
    z.object({ users: z.array(User), next_cursor: z.string().nullable() }),
  ),
  conversationsCreate: rpc(
    rpcSubjects.conversationsCreate,
    z.object({ ...Actor, title: z.string().trim().max(200), member_ids: z.array(Id).max(999), kind: ConversationKind.optional() }),
    z.object({ conversation: Conversation, created: z.boolean() }),
  ),
  conversationsGet: rpc(rpcSubjects.conversationsGet, z.object({ ...Actor, conversation_id: Id }), Conversation),
  conversationsList: rpc(
    rpcSubjects.conversationsList,
    ConversationsQuery.extend(Actor),
    z.object({ conversations: z.array(Conversation), next_cursor: z.string().nullable() }),
  ),
  /** Internal: the ids of a user's conversations in id order, a page after `after` (the gateway's list on connect). */
  conversationsIdsOf: rpc(
    rpcSubjects.conversationsIdsOf,
    z.object({ user_id: Id, limit: z.number().int().min(1).max(limits.conversationIdsPageMax), after: Id.optional() }),
    z.object({ conversation_ids: z.array(Id), next_after: Id.nullable() }),
  ),
  /** Internal: is this user a member? `exists` tells a 404 from a 403. */
  conversationsMembership: rpc(
    rpcSubjects.conversationsMembership,
    z.object({ conversation_id: Id, user_id: Id }),
    z.object({ exists: z.boolean(), member: z.boolean() }),
  ),
  conversationsAddMembers: rpc(
    rpcSubjects.conversationsAddMembers,
    z.object({ ...Actor, conversation_id: Id, user_ids: z.array(Id).min(1).max(999) }),
    Conversation,
  ),
  /** Leave (user_id = actor) or remove another member. */
  conversationsRemoveMember: rpc(
    rpcSubjects.conversationsRemoveMember,
    z.object({ ...Actor, conversation_id: Id, user_id: Id }),
    z.object({}),
  ),
  conversationsRename: rpc(
    rpcSubjects.conversationsRename,
    z.object({ ...Actor, conversation_id: Id, title: z.string().trim().min(1).max(200) }),
    Conversation,
  ),
  /** Partitioned: one replica at a time stores a conversation's sends, from the stream tip it remembers. */
  messagesSend: byConversation(
    rpcSubjects.messagesSend,
    z.object({
      ...Actor,
      sender_username: z.string(),
      conversation_id: Id,
      message_id: ClientMessageId,
      content: Content,
    }),
    z.object({ message: Message, duplicate: z.boolean() }),
  ),
  messagesHistory: rpc(
    rpcSubjects.messagesHistory,
    HistoryQuery.extend({ ...Actor, conversation_id: Id }),
    MessagePage,
  ),
  /** `message_id` is the server id or the sender's client message_id. */
  messagesEdit: rpc(rpcSubjects.messagesEdit, z.object({ ...Actor, message_id: ClientMessageId, content: Content }), Message),
  messagesDelete: rpc(rpcSubjects.messagesDelete, z.object({ ...Actor, message_id: ClientMessageId }), Message),
  messagesReact: rpc(
    rpcSubjects.messagesReact,
    z.object({ ...Actor, message_id: ClientMessageId, emoji: Emoji, action: z.enum(['add', 'remove']) }),
    Message,
  ),
  /**
   * Moves the actor's read cursor forward only; `seq` in the reply is the cursor after the call.
   * Partitioned too: a read receipt moves the stream's version, which would stale the owner's tip.
   */
  messagesRead: byConversation(
    rpcSubjects.messagesRead,
    z.object({ ...Actor, conversation_id: Id, seq: z.number().int().min(0) }),
    z.object({ seq: z.number().int(), moved: z.boolean() }),
  ),
  presenceQuery: rpc(
    rpcSubjects.presenceQuery,
    z.object({ user_ids: z.array(Id).max(1000) }),
    z.object({ online: z.array(Id), degraded: z.boolean() }),
  ),
};
export type Contracts = typeof contracts;
export type RequestOf<C extends RpcContract<z.ZodType, z.ZodType>> = z.input<C['request']>;
export type ReplyOf<C extends RpcContract<z.ZodType, z.ZodType>> = z.infer<C['reply']>;

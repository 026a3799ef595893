import { z } from 'zod';
import { ErrorCode } from './errors';
import { ClientMessageId, Content, HistoryQuery, LoginBody, RefreshBody, SignupBody } from './http';
import { Conversation, Id, Message, MessagePage, TokenPair, User } from './models';
import { rpcSubjects } from './subjects';

/** A request/reply pair on one NATS subject, validated on both sides. */
export interface RpcContract<Req extends z.ZodType, Rep extends z.ZodType> {
  subject: string;
  request: Req;
  reply: Rep;
}
const rpc = <Req extends z.ZodType, Rep extends z.ZodType>(subject: string, request: Req, reply: Rep) =>
  ({ subject, request, reply }) satisfies RpcContract<Req, Rep>;

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
  usersGet: rpc(rpcSubjects.usersGet, z.object({ user_id: Id }), User),
  /** Internal: the users among these ids (unknown ids are simply absent). */
  usersLookup: rpc(rpcSubjects.usersLookup, z.object({ user_ids: z.array(Id).max(1000) }), z.object({ users: z.array(User) })),
  usersList: rpc(
    rpcSubjects.usersList,
    z.object({ q: z.string().optional(), limit: z.number().int(), cursor: z.string().optional() }),
    z.object({ users: z.array(User), next_cursor: z.string().nullable() }),
  ),
  conversationsCreate: rpc(
    rpcSubjects.conversationsCreate,
    z.object({ ...Actor, title: z.string(), member_ids: z.array(Id) }),
    z.object({ conversation: Conversation, created: z.boolean() }),
  ),
  conversationsGet: rpc(rpcSubjects.conversationsGet, z.object({ ...Actor, conversation_id: Id }), Conversation),
  conversationsList: rpc(
    rpcSubjects.conversationsList,
    z.object(Actor),
    z.object({ conversations: z.array(Conversation) }),
  ),
  /** Internal: is this user a member? `exists` tells a 404 from a 403. */
  conversationsMembership: rpc(
    rpcSubjects.conversationsMembership,
    z.object({ conversation_id: Id, user_id: Id }),
    z.object({ exists: z.boolean(), member: z.boolean() }),
  ),
  messagesSend: rpc(
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
  presenceQuery: rpc(
    rpcSubjects.presenceQuery,
    z.object({ user_ids: z.array(Id).max(1000) }),
    z.object({ online: z.array(Id), degraded: z.boolean() }),
  ),
};
export type Contracts = typeof contracts;
export type RequestOf<C extends RpcContract<z.ZodType, z.ZodType>> = z.input<C['request']>;
export type ReplyOf<C extends RpcContract<z.ZodType, z.ZodType>> = z.infer<C['reply']>;

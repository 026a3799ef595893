import { z } from 'zod';
import { ErrorCode } from './errors';
import {
  AddMembersBody,
  ConversationsQuery,
  CreateConversationBody,
  EditMessageBody,
  HistoryQuery,
  LoginBody,
  PostConversationMessageBody,
  PresenceQuery,
  ReactionBody,
  ReadBody,
  RefreshBody,
  SendMessageBody,
  SignupBody,
  UsersQuery,
} from './http';
import { Conversation, Id, Message, MessagePage, TokenPair, User, UserWithPresence } from './models';

/**
 * The OpenAPI 3.1 document of the public HTTP API (shared/API.md), built from the same zod
 * schemas that validate requests, so the docs cannot drift from what the gateway accepts.
 */

type Access = 'public' | 'bearer';
type Json = Record<string, unknown>;

interface Reply {
  description: string;
  schema?: z.ZodType;
  /** A non-JSON body, e.g. the Prometheus text format. */
  contentType?: string;
}

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI style: /conversations/{id}. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: z.ZodType;
  form?: z.ZodType;
  query?: z.ZodObject;
  replies: Record<number, Reply>;
}

const ErrorBody = z.object({ detail: z.string(), code: ErrorCode });
const Status = z.object({ status: z.string() });
const Users = z.object({ users: z.array(UserWithPresence), next_cursor: z.string().nullable() });
const OAuthForm = LoginBody.extend({
  grant_type: z.literal('password').optional(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

const ok = (description: string, schema?: z.ZodType): Reply => ({ description, schema });
const route = (spec: RouteSpec) => spec;

/** Every route of shared/API.md's HTTP table. */
export const httpRoutes: RouteSpec[] = [
  route({ method: 'post', path: '/auth/signup', summary: 'Create an account', tag: 'auth', access: 'public', body: SignupBody,
    replies: { 201: ok('The new user (never the password or its hash)', User), 409: ok('Username already registered', ErrorBody) } }),
  route({ method: 'post', path: '/auth/login', summary: 'Log in', tag: 'auth', access: 'public', body: LoginBody,
    replies: { 200: ok('An access and a refresh token', TokenPair), 401: ok('Incorrect username or password', ErrorBody) } }),
  route({ method: 'post', path: '/auth/token', summary: 'OAuth2 password grant (the Authorize button)', tag: 'auth', access: 'public', form: OAuthForm,
    replies: { 200: ok('Same as login', TokenPair), 401: ok('Incorrect username or password', ErrorBody) } }),
  route({ method: 'post', path: '/auth/refresh', summary: 'Rotate a refresh token for a new pair', tag: 'auth', access: 'public', body: RefreshBody,
    replies: { 200: ok('A new pair; the presented refresh token is spent', TokenPair), 401: ok('Invalid, spent (family revoked) or access token', ErrorBody) } }),
  route({ method: 'post', path: '/auth/logout', summary: 'Revoke a refresh token family', tag: 'auth', access: 'bearer', body: RefreshBody,
    replies: { 204: ok('Logged out') } }),
  route({ method: 'get', path: '/auth/me', summary: 'The caller', tag: 'auth', access: 'bearer', replies: { 200: ok('The caller', User) } }),
  route({ method: 'get', path: '/users', summary: 'Every user but the caller, with prefix search', tag: 'users', access: 'bearer', query: UsersQuery,
    replies: { 200: ok('One page of users; next_cursor is null on the last', Users) } }),
  route({ method: 'get', path: '/conversations', summary: 'The caller’s conversations, newest activity first', tag: 'conversations', access: 'bearer',
    query: ConversationsQuery,
    replies: { 200: ok('One page of conversations; next_cursor is null on the last', z.object({ conversations: z.array(Conversation), next_cursor: z.string().nullable() })) } }),
  route({ method: 'post', path: '/conversations', summary: 'Create a conversation (one other member and no kind "group" = the pair’s direct one)', tag: 'conversations', access: 'bearer',
    body: CreateConversationBody, replies: { 201: ok('Created', Conversation), 200: ok('The existing direct conversation', Conversation) } }),
  route({ method: 'get', path: '/conversations/{id}', summary: 'One conversation', tag: 'conversations', access: 'bearer',
    replies: { 200: ok('The conversation', Conversation), 403: ok('Not a member', ErrorBody), 404: ok('No such conversation', ErrorBody) } }),
  route({ method: 'post', path: '/conversations/{id}/members', summary: 'Add members (groups only)', tag: 'conversations', access: 'bearer',
    body: AddMembersBody, replies: { 200: ok('The conversation', Conversation), 403: ok('Not a member', ErrorBody) } }),
  route({ method: 'delete', path: '/conversations/{id}/members/{user_id}', summary: 'Leave or remove a member', tag: 'conversations', access: 'bearer',
    replies: { 204: ok('Removed'), 403: ok('Not a member', ErrorBody) } }),
  route({ method: 'get', path: '/conversations/{id}/messages', summary: 'History, ascending by seq', tag: 'messages', access: 'bearer', query: HistoryQuery,
    replies: { 200: ok('A page of messages', MessagePage), 403: ok('Not a member', ErrorBody) } }),
  route({ method: 'post', path: '/conversations/{id}/messages', summary: 'Send a message (REST fallback)', tag: 'messages', access: 'bearer',
    body: PostConversationMessageBody, replies: { 201: ok('The message', Message), 200: ok('The original of a retried message_id', Message) } }),
  route({ method: 'post', path: '/messages', summary: 'Send a message', tag: 'messages', access: 'bearer', body: SendMessageBody,
    replies: { 201: ok('The message', Message), 200: ok('The original of a retried message_id', Message), 403: ok('sender_id must match the caller', ErrorBody) } }),
  route({ method: 'patch', path: '/messages/{id}', summary: 'Edit a message (sender only)', tag: 'messages', access: 'bearer', body: EditMessageBody,
    replies: { 200: ok('The message', Message) } }),
  route({ method: 'delete', path: '/messages/{id}', summary: 'Delete a message (tombstone)', tag: 'messages', access: 'bearer',
    replies: { 200: ok('The message', Message) } }),
  route({ method: 'post', path: '/messages/{id}/reactions', summary: 'Add a reaction', tag: 'messages', access: 'bearer', body: ReactionBody,
    replies: { 200: ok('The message', Message) } }),
  route({ method: 'delete', path: '/messages/{id}/reactions/{emoji}', summary: 'Remove a reaction', tag: 'messages', access: 'bearer',
    replies: { 200: ok('The message', Message) } }),
  route({ method: 'post', path: '/conversations/{id}/read', summary: 'Read receipt (moves forward only)', tag: 'messages', access: 'bearer', body: ReadBody,
    replies: { 204: ok('Recorded') } }),
  route({ method: 'get', path: '/presence', summary: 'Which of these users are online', tag: 'presence', access: 'bearer', query: PresenceQuery,
    replies: { 200: ok('Online ids', z.object({ online: z.array(Id) })) } }),
  route({ method: 'get', path: '/health', summary: 'Liveness', tag: 'operations', access: 'public', replies: { 200: ok('Running', Status) } }),
  route({ method: 'get', path: '/ready', summary: 'Readiness', tag: 'operations', access: 'public',
    replies: { 200: ok('Dependencies answer', Status), 503: ok('Not ready', Status) } }),
  route({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', tag: 'operations', access: 'public',
    replies: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } } }),
  route({ method: 'get', path: '/', summary: 'Web UI: login and signup', tag: 'web', access: 'public', replies: { 200: { description: 'HTML', contentType: 'text/html' } } }),
  route({ method: 'get', path: '/static/index.html', summary: 'Web UI: login and signup', tag: 'web', access: 'public', replies: { 200: { description: 'HTML', contentType: 'text/html' } } }),
  route({ method: 'get', path: '/static/chat.html', summary: 'Web UI: chat', tag: 'web', access: 'public', replies: { 200: { description: 'HTML', contentType: 'text/html' } } }),
  route({ method: 'get', path: '/docs', summary: 'Interactive API docs (Swagger UI)', tag: 'web', access: 'public', replies: { 200: { description: 'HTML', contentType: 'text/html' } } }),
  route({ method: 'get', path: '/redoc', summary: 'API reference', tag: 'web', access: 'public', replies: { 200: { description: 'HTML', contentType: 'text/html' } } }),
  route({ method: 'get', path: '/openapi.json', summary: 'This document', tag: 'web', access: 'public', replies: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } } }),
  route({ method: 'get', path: '/asyncapi.json', summary: 'The NATS subjects, commands and events', tag: 'web', access: 'public',
    replies: { 200: { description: 'AsyncAPI 3.0', contentType: 'application/json' } } }),
];

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a schema, as a request accepts it or a reply produces it. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  // Transforms and coercions cannot be expressed; they show as the input they accept.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const rateLimitHeaders = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Unix time (seconds) when the window resets', schema: { type: 'integer' } },
};

const errorReply = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: jsonSchemaOf(ErrorBody, 'output') } },
});

function replyObject(reply: Reply, limited: boolean): Json {
  const headers = limited ? { headers: rateLimitHeaders } : {};
  if (reply.contentType) return { description: reply.description, content: { [reply.contentType]: {} } };
  if (!reply.schema) return { description: reply.description, ...headers };
  return { description: reply.description, ...headers, content: { 'application/json': { schema: jsonSchemaOf(reply.schema, 'output') } } };
}

function operationOf(spec: RouteSpec): Json {
  const limited = spec.tag !== 'operations' && spec.tag !== 'web';
  const pathParams = [...spec.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'emoji' ? { type: 'string', maxLength: 32 } : jsonSchemaOf(Id, 'input'),
  }));
  const query = spec.query ? jsonSchemaOf(spec.query, 'input') : undefined;
  const queryProperties = (query?.properties ?? {}) as Record<string, Json>;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  const queryParams = Object.entries(queryProperties).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }));
  const parameters = [...pathParams, ...queryParams];

  const responses: Json = {};
  for (const [status, reply] of Object.entries(spec.replies)) responses[status] = replyObject(reply, limited);
  if (spec.body || spec.form || spec.query || pathParams.length > 0) responses['422'] ??= errorReply('A field failed validation; detail names it');
  if (spec.body) responses['413'] ??= errorReply('Body over 64 KiB');
  if (spec.access === 'bearer') responses['401'] ??= errorReply('Missing, invalid or expired access token');
  if (limited) responses['429'] ??= errorReply('Rate limited; retry after Retry-After seconds', { 'Retry-After': { schema: { type: 'integer' } } });

  return {
    operationId: `${spec.method}${spec.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: spec.summary,
    tags: [spec.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(spec.body, 'input') } } } } : {}),
    ...(spec.form
      ? { requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: jsonSchemaOf(spec.form, 'input') } } } }
      : {}),
    security: spec.access === 'bearer' ? [{ bearer: [] }, { oauth2: [] }] : [],
    responses,
  };
}

export function buildOpenApiDocument(version = '0.1.0'): Json {
  const paths: Record<string, Json> = {};
  for (const spec of httpRoutes) (paths[spec.path] ??= {})[spec.method] = operationOf(spec);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pneumatic',
      version,
      description:
        'Real-time chat: HTTP for accounts, conversations and history; WebSockets at /ws for live events. ' +
        'Errors are `{detail, code}`. Authorize with a username and password (OAuth2 password flow at /auth/token) or paste an access token.',
    },
    tags: ['auth', 'users', 'conversations', 'messages', 'presence', 'operations', 'web'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', scopes: {} } } },
      },
    },
  };
}

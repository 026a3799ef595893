import { z } from 'zod';
import {
  ConversationCreatedV1,
  MemberAddedV1,
  MemberRemovedV1,
  MessageDeletedV1,
  MessageEditedV1,
  MessageReactionV1,
  MessageSentV1,
  PresenceTransition,
  PresenceHeartbeat,
  ReadReceiptV1,
  SessionEnded,
  TypingV1,
  UserRegisteredV1,
  UserStatusV1,
} from './events';
import { Id, Message } from './models';
import { RpcFailure, contracts, type RpcContract } from './rpc';
import { authSubjects, eventSubjects, presenceSubjects } from './subjects';

/**
 * Events as the event stores keep them, relayed to JetStream on `events.<service>.<type>` (see
 * libs/platform event-relay): the stored data under the contracts' envelope, every version still
 * in some store. Consumers in other services validate against these, never against a service's
 * internal types.
 */
const relayed = <T extends string, V extends number, D extends z.ZodType>(type: T, version: V, data: D) =>
  z.object({
    id: Id,
    type: z.literal(type),
    version: z.literal(version),
    time: z.string(),
    stream_id: Id,
    stream_version: z.number().int().positive(),
    data,
    metadata: z.record(z.string(), z.unknown()).optional(),
  });

export const StoredMessageSentV0 = relayed(
  'message.sent',
  0,
  z.object({
    id: Id,
    client_message_id: z.string(),
    conversation_id: Id,
    seq: z.number().int().positive(),
    sender_id: Id,
    sender_username: z.string(),
    content: z.string(),
    created_at: z.string(),
  }),
);
export const StoredMessageSentV1 = relayed('message.sent', 1, z.object({ message: Message }));
export const StoredMessageEditedV1 = relayed(
  'message.edited',
  1,
  z.object({ messageId: Id, content: z.string(), editedAt: z.string(), editedBy: Id }),
);
export const StoredMessageDeletedV1 = relayed('message.deleted', 1, z.object({ messageId: Id, deletedAt: z.string(), deletedBy: Id }));
export const StoredMessageReactionV1 = relayed(
  'message.reaction',
  1,
  z.object({ messageId: Id, emoji: z.string(), userId: Id, action: z.enum(['add', 'remove']), at: z.string() }),
);
export const StoredMessageReadV1 = relayed('message.read', 1, z.object({ userId: Id, seq: z.number().int().min(0), readAt: z.string() }));
export const StoredConversationCreatedV1 = relayed(
  'conversation.created',
  1,
  z.object({
    conversationId: Id,
    kind: z.enum(['direct', 'group']),
    title: z.string(),
    members: z.array(Id),
    createdBy: Id,
    createdAt: z.string(),
  }),
);
export const StoredMembersAddedV1 = relayed(
  'conversation.members_added',
  1,
  z.object({ conversationId: Id, userIds: z.array(Id), addedBy: Id, addedAt: z.string() }),
);
export const StoredMemberRemovedV1 = relayed(
  'conversation.member_removed',
  1,
  z.object({ conversationId: Id, userId: Id, removedBy: Id, removedAt: z.string() }),
);
export const StoredConversationRenamedV1 = relayed(
  'conversation.renamed',
  1,
  z.object({ conversationId: Id, title: z.string(), renamedBy: Id, renamedAt: z.string() }),
);

/** Every stored event of the messages service, all versions. */
export const RelayedMessageEvent = z.union([
  StoredMessageSentV0,
  StoredMessageSentV1,
  StoredMessageEditedV1,
  StoredMessageDeletedV1,
  StoredMessageReactionV1,
  StoredMessageReadV1,
]);
export type RelayedMessageEvent = z.infer<typeof RelayedMessageEvent>;
export const RelayedConversationEvent = z.union([StoredConversationCreatedV1, StoredMembersAddedV1, StoredMemberRemovedV1, StoredConversationRenamedV1]);
export type RelayedConversationEvent = z.infer<typeof RelayedConversationEvent>;

/** The JetStream subjects (before the prefix), by the service whose relay publishes them. */
export const relayedEventChannels = {
  'events.messages.{type}': RelayedMessageEvent,
  'events.conversations.{type}': RelayedConversationEvent,
} as const;

/** Tokens of `conversationSubject(id, token)` and what travels on each. */
export const conversationSubjectEvents = {
  message: MessageSentV1,
  message_edited: MessageEditedV1,
  message_deleted: MessageDeletedV1,
  message_reaction: MessageReactionV1,
  read: ReadReceiptV1,
  member_added: MemberAddedV1,
  member_removed: MemberRemovedV1,
  typing: TypingV1,
} as const;

/** Tokens of `userSubject(id, token)` and what travels on each. */
export const userSubjectEvents = {
  conversation_created: ConversationCreatedV1,
  member_removed: MemberRemovedV1,
} as const;

const presencePayloads: Record<keyof typeof presenceSubjects, z.ZodType> = {
  connected: PresenceTransition,
  disconnected: PresenceTransition,
  heartbeat: PresenceHeartbeat,
  status: UserStatusV1,
};
const eventPayloads: Record<keyof typeof eventSubjects, z.ZodType> = { userRegistered: UserRegisteredV1 };

type Schema = Record<string, unknown>;
const schemaOf = (schema: z.ZodType, io: 'input' | 'output' = 'output'): Schema =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Schema;

interface Channel {
  address: string;
  description?: string;
  parameters?: Record<string, { description: string }>;
  messages: Record<string, { name: string; contentType: 'application/json'; payload: Schema }>;
}

const message = (name: string, schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  name,
  contentType: 'application/json' as const,
  payload: schemaOf(schema, io),
});

/**
 * The AsyncAPI 3.0 document of every NATS subject: request/reply commands and queries, core NATS
 * notices and realtime copies, and the JetStream events, generated from the zod schemas that
 * validate them. Addresses omit the deployment's prefix (NATS_SUBJECT_PREFIX).
 */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, Channel> = {};
  const operations: Record<string, unknown> = {};
  for (const [name, contract] of Object.entries(contracts) as [string, RpcContract<z.ZodType, z.ZodType>][]) {
    channels[name] = {
      address: contract.subject,
      description: 'Request/reply, served by a queue group; replies are {ok: true, data} or {ok: false, error}.',
      messages: {
        request: message(`${name}.request`, contract.request, 'input'),
        reply: message(`${name}.reply`, z.union([z.object({ ok: z.literal(true), data: contract.reply }), RpcFailure])),
      },
    };
    operations[name] = {
      action: 'receive',
      channel: { $ref: `#/channels/${name}` },
      messages: [{ $ref: `#/channels/${name}/messages/request` }],
      reply: { messages: [{ $ref: `#/channels/${name}/messages/reply` }] },
    };
    if (contract.partitionKey) {
      channels[`${name}.partition`] = {
        // As partitionSubject names them.
        address: `${contract.subject}.{partition}`,
        description: `The same request, to the one replica leasing the partition of its ${contract.partitionKey} (partitionOf); a partition without an owner answers no responders, and the caller asks ${contract.subject} instead.`,
        parameters: { partition: { description: 'partitionOf(conversation_id, MESSAGES_PARTITIONS), 0..MESSAGES_PARTITIONS-1' } },
        messages: channels[name]!.messages,
      };
    }
  }
  for (const [name, subject] of Object.entries(presenceSubjects)) {
    channels[`presence.${name}`] = {
      address: subject,
      messages: { [name]: message(name, presencePayloads[name as keyof typeof presenceSubjects]) },
    };
  }
  channels['auth.sessionEnded'] = {
    address: authSubjects.sessionEnded,
    description: 'Core NATS, to every gateway: close the session\'s sockets and refuse its tokens (missed ones are caught up by authEndedSessions).',
    messages: { sessionEnded: message('sessionEnded', SessionEnded) },
  };
  for (const [name, subject] of Object.entries(eventSubjects)) {
    channels[`event.${name}`] = {
      address: subject,
      description: 'Core NATS after commit; also captured by the JetStream events stream (subjects events.>).',
      messages: { [name]: message(name, eventPayloads[name as keyof typeof eventSubjects]) },
    };
  }
  const conversationId = { conversation_id: { description: 'the conversation id' } };
  for (const [token, schema] of Object.entries(conversationSubjectEvents)) {
    channels[`conversation.${token}`] = {
      address: `chat.conv.{conversation_id}.${token}`,
      description: 'Realtime copy for gateways (core NATS, at most once); history and sync are the source of truth.',
      parameters: conversationId,
      messages: { [token]: message(token, schema) },
    };
  }
  for (const [token, schema] of Object.entries(userSubjectEvents)) {
    channels[`user.${token}`] = {
      address: `chat.user.{user_id}.${token}`,
      parameters: { user_id: { description: 'the user id' } },
      messages: { [token]: message(token, schema) },
    };
  }
  for (const [address, schema] of Object.entries(relayedEventChannels)) {
    const service = address.split('.')[1]!;
    channels[`jetstream.${service}`] = {
      address,
      description: `JetStream stream <prefix>_EVENTS: ${service} events relayed from the committed store, message id = event id.`,
      parameters: { type: { description: 'the stored event type, e.g. message.sent' } },
      messages: Object.fromEntries(
        schema.options.map((option) => {
          const { type, version } = option.shape;
          const name = `${type.value}.v${version.value}`;
          return [name, message(name, option)];
        }),
      ),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Pneumatic NATS contracts',
      version: '1.0.0',
      description: 'Every subject services use, before the deployment prefix. Generated from libs/contracts.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
  };
}

/** Whether a concrete subject (ids filled in, no prefix) is one the document describes. */
export function isDocumentedSubject(document: Record<string, unknown>, subject: string): boolean {
  const channels = Object.values(document.channels as Record<string, Channel>);
  return channels.some(({ address }) => {
    const pattern = address
      .split('.')
      .map((token) => (token === '{type}' ? '[^ ]+' : /^\{\w+\}$/.test(token) ? '[^.]+' : token.replace(/[\\^$*+?()[\]|]/g, '\\$&')))
      .join('\\.');
    return new RegExp(`^${pattern}$`).test(subject);
  });
}

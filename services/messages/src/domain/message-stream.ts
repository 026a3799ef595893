import { DomainError, limits, reactionUsers, withReaction, type Message } from '@pneumatic/contracts';
import type { NewEvent } from '@pneumatic/platform';

/**
 * The decider for one conversation's message stream (stream id = conversation id): `decide`
 * turns a command and the folded state into events, `evolve` folds one event in. No I/O here.
 * The store folds only the slice of state a command touches (the last seq, the target message,
 * the reader's cursor), which equals the full fold restricted to those keys.
 */
export interface MessageStreamState {
  lastSeq: number;
  /** By server id. */
  messages: Record<string, Message>;
  /** Server id by `sentKey(sender, client message id)`: what makes a send idempotent. */
  sent: Record<string, string>;
  /** Read cursor by user id. */
  readCursors: Record<string, number>;
}

export const initialMessageStream = (): MessageStreamState => ({ lastSeq: 0, messages: {}, sent: {}, readCursors: {} });

export const sentKey = (senderId: string, clientMessageId: string) => `${senderId}\u0000${clientMessageId}`;

/**
 * The slice of a stream's state a command needs, as loaded from the read model: the last seq,
 * the messages it touches (with their client ids, for idempotent sends), the readers' cursors.
 */
export function stateOf(slice: { lastSeq?: number; messages?: Message[]; readCursors?: Record<string, number> }): MessageStreamState {
  const state = initialMessageStream();
  for (const m of slice.messages ?? []) {
    state.messages[m.id] = m;
    state.sent[sentKey(m.sender_id, m.message_id)] = m.id;
  }
  return { ...state, lastSeq: slice.lastSeq ?? 0, readCursors: slice.readCursors ?? {} };
}

/** Membership belongs to the conversations service; the caller asks it and passes the answer in. */
interface ActorCommand {
  actorId: string;
  actorIsMember: boolean;
  now: Date;
}

export interface SendMessage extends ActorCommand {
  type: 'SendMessage';
  id: string;
  conversationId: string;
  clientMessageId: string;
  senderUsername: string;
  content: string;
  /** Mentioned members, already resolved from `@username`s. */
  mentions: string[];
}
export interface EditMessage extends ActorCommand {
  type: 'EditMessage';
  messageId: string;
  content: string;
}
export interface DeleteMessage extends ActorCommand {
  type: 'DeleteMessage';
  messageId: string;
}
export interface ReactToMessage extends ActorCommand {
  type: 'ReactToMessage';
  messageId: string;
  emoji: string;
  action: 'add' | 'remove';
  bounds: ReactionBounds;
}

/**
 * What keeps one message's reactions, and so the message, small (docs/protocol.md, Limits): distinct emoji
 * on it, emoji one user put on it, and reactions (user, emoji pairs) in all.
 */
export interface ReactionBounds {
  emojiPerMessage: number;
  perUser: number;
  perMessage: number;
}
export interface MarkRead extends ActorCommand {
  type: 'MarkRead';
  seq: number;
}
export type MessageCommand = SendMessage | EditMessage | DeleteMessage | ReactToMessage | MarkRead;

export type MessageSent = NewEvent<'message.sent', { message: Message }>;
type MessageEdited = NewEvent<'message.edited', { messageId: string; content: string; editedAt: string; editedBy: string }>;
type MessageDeleted = NewEvent<'message.deleted', { messageId: string; deletedAt: string; deletedBy: string }>;
type MessageReacted = NewEvent<
  'message.reaction',
  { messageId: string; emoji: string; userId: string; action: 'add' | 'remove'; at: string }
>;
type MessagesRead = NewEvent<'message.read', { userId: string; seq: number; readAt: string }>;
export type MessageStreamEvent = MessageSent | MessageEdited | MessageDeleted | MessageReacted | MessagesRead;

export function decide(command: MessageCommand, state: MessageStreamState): MessageStreamEvent[] {
  if (!command.actorIsMember) throw new DomainError('not_a_member', 'not a member of this conversation');
  switch (command.type) {
    case 'SendMessage':
      return send(command, state);
    case 'EditMessage':
      return edit(command, state);
    case 'DeleteMessage':
      return remove(command, state);
    case 'ReactToMessage':
      return react(command, state);
    case 'MarkRead':
      return markRead(command, state);
  }
}

export function evolve(state: MessageStreamState, event: MessageStreamEvent): MessageStreamState {
  switch (event.type) {
    case 'message.sent': {
      const { message } = event.data;
      return {
        ...state,
        lastSeq: Math.max(state.lastSeq, message.seq),
        messages: { ...state.messages, [message.id]: message },
        sent: { ...state.sent, [sentKey(message.sender_id, message.message_id)]: message.id },
      };
    }
    case 'message.edited':
      return changeMessage(state, event.data.messageId, (m) => ({ ...m, content: event.data.content, edited_at: event.data.editedAt }));
    case 'message.deleted':
      return changeMessage(state, event.data.messageId, (m) => ({ ...m, content: '', deleted: true }));
    case 'message.reaction': {
      const { messageId, emoji, userId, action } = event.data;
      return changeMessage(state, messageId, (m) => ({ ...m, reactions: withReaction(m.reactions, emoji, userId, action) }));
    }
    case 'message.read': {
      const { userId, seq } = event.data;
      return { ...state, readCursors: { ...state.readCursors, [userId]: Math.max(state.readCursors[userId] ?? 0, seq) } };
    }
  }
}

function changeMessage(state: MessageStreamState, id: string, change: (m: Message) => Message): MessageStreamState {
  const message = state.messages[id];
  return message ? { ...state, messages: { ...state.messages, [id]: change(message) } } : state;
}

function requireContent(content: string): void {
  if (content.length < 1 || content.length > limits.contentMaxChars) {
    throw new DomainError('validation_error', `content: 1..${limits.contentMaxChars} characters`);
  }
}

function send(command: SendMessage, state: MessageStreamState): MessageSent[] {
  // A retry of a message already stored changes nothing; the caller answers with the original.
  if (state.sent[sentKey(command.actorId, command.clientMessageId)]) return [];
  requireContent(command.content);
  return [
    {
      type: 'message.sent',
      schemaVersion: 1,
      data: {
        message: {
          id: command.id,
          message_id: command.clientMessageId,
          conversation_id: command.conversationId,
          seq: state.lastSeq + 1,
          sender_id: command.actorId,
          sender_username: command.senderUsername,
          content: command.content,
          created_at: command.now.toISOString(),
          edited_at: null,
          deleted: false,
          reactions: {},
          mentions: [...new Set(command.mentions)],
        },
      },
    },
  ];
}

function existingMessage(state: MessageStreamState, messageId: string): Message {
  const message = state.messages[messageId];
  if (!message) throw new DomainError('not_found', 'message not found');
  return message;
}

/** Edits and deletions belong to the sender alone. */
function ownMessage(state: MessageStreamState, command: EditMessage | DeleteMessage): Message {
  const message = existingMessage(state, command.messageId);
  if (message.sender_id !== command.actorId) throw new DomainError('forbidden', 'only the sender can change this message');
  return message;
}

const deletedMessage = () => new DomainError('conflict', 'message was deleted');

function edit(command: EditMessage, state: MessageStreamState): MessageEdited[] {
  const message = ownMessage(state, command);
  if (message.deleted) throw deletedMessage();
  requireContent(command.content);
  if (message.content === command.content) return [];
  return [
    {
      type: 'message.edited',
      schemaVersion: 1,
      data: { messageId: message.id, content: command.content, editedAt: command.now.toISOString(), editedBy: command.actorId },
    },
  ];
}

function remove(command: DeleteMessage, state: MessageStreamState): MessageDeleted[] {
  const message = ownMessage(state, command);
  // Deleting again is a retry.
  if (message.deleted) return [];
  return [
    {
      type: 'message.deleted',
      schemaVersion: 1,
      data: { messageId: message.id, deletedAt: command.now.toISOString(), deletedBy: command.actorId },
    },
  ];
}

function react(command: ReactToMessage, state: MessageStreamState): MessageReacted[] {
  const message = existingMessage(state, command.messageId);
  if (message.deleted) throw deletedMessage();
  const present = reactionUsers(message.reactions, command.emoji).includes(command.actorId);
  // Adding what is there, or removing what is not, is a retry.
  if (present === (command.action === 'add')) return [];
  if (command.action === 'add') requireRoomForReaction(message.reactions, command);
  return [
    {
      type: 'message.reaction',
      schemaVersion: 1,
      data: { messageId: message.id, emoji: command.emoji, userId: command.actorId, action: command.action, at: command.now.toISOString() },
    },
  ];
}

function requireRoomForReaction(reactions: Message['reactions'], { emoji, actorId, bounds }: ReactToMessage): void {
  const entries = Object.entries(reactions);
  if (!Object.hasOwn(reactions, emoji) && entries.length >= bounds.emojiPerMessage) {
    throw new DomainError('conflict', `a message holds at most ${bounds.emojiPerMessage} different reactions`);
  }
  if (entries.filter(([, users]) => users.includes(actorId)).length >= bounds.perUser) {
    throw new DomainError('conflict', `one user may put at most ${bounds.perUser} reactions on a message`);
  }
  if (entries.reduce((sum, [, users]) => sum + users.length, 0) >= bounds.perMessage) {
    throw new DomainError('conflict', `a message holds at most ${bounds.perMessage} reactions`);
  }
}

function markRead(command: MarkRead, state: MessageStreamState): MessagesRead[] {
  // Nobody reads past the newest message; a cursor only moves forward.
  const seq = Math.min(command.seq, state.lastSeq);
  if (seq <= (state.readCursors[command.actorId] ?? 0)) return [];
  return [{ type: 'message.read', schemaVersion: 1, data: { userId: command.actorId, seq, readAt: command.now.toISOString() } }];
}

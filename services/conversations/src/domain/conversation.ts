import { DomainError, limits } from '@pneumatic/contracts';
import type { NewEvent } from '@pneumatic/platform';

/**
 * The conversation aggregate as an emmett-style decider: `decide` turns a command and the state
 * folded from past events into new events, `evolve` folds one event into the state. No I/O here.
 */

export type ConversationKind = 'direct' | 'group';

export interface Conversation {
  id: string;
  kind: ConversationKind;
  title: string;
  members: string[];
  createdBy: string;
  createdAt: string;
}

/** null until the conversation is created. */
export type ConversationState = Conversation | null;

export type CreateConversation = {
  type: 'CreateConversation';
  data: { conversationId: string; actorId: string; title: string; memberIds: string[]; kind?: ConversationKind; now: Date };
};
type AddMembers = { type: 'AddMembers'; data: { actorId: string; userIds: string[]; now: Date } };
type RemoveMember = { type: 'RemoveMember'; data: { actorId: string; userId: string; now: Date } };
type RenameConversation = { type: 'RenameConversation'; data: { actorId: string; title: string; now: Date } };
export type ConversationCommand = CreateConversation | AddMembers | RemoveMember | RenameConversation;

export type ConversationCreated = NewEvent<
  'conversation.created',
  { conversationId: string; kind: ConversationKind; title: string; members: string[]; createdBy: string; createdAt: string }
>;
type MembersAdded = NewEvent<
  'conversation.members_added',
  { conversationId: string; userIds: string[]; addedBy: string; addedAt: string }
>;
type MemberRemoved = NewEvent<
  'conversation.member_removed',
  { conversationId: string; userId: string; removedBy: string; removedAt: string }
>;
type ConversationRenamed = NewEvent<
  'conversation.renamed',
  { conversationId: string; title: string; renamedBy: string; renamedAt: string }
>;
export type ConversationEvent = ConversationCreated | MembersAdded | MemberRemoved | ConversationRenamed;

/** The identity of a 1-on-1 chat: the same pair in either order gives the same key. */
export const directKeyOf = (members: string[]) => [...members].sort().join(':');

const invalid = (detail: string) => new DomainError('validation_error', detail);
const unique = (ids: string[]) => [...new Set(ids)];

export function decide(command: CreateConversation, state: ConversationState): ConversationCreated[];
export function decide(command: ConversationCommand, state: ConversationState): ConversationEvent[];
export function decide(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  switch (command.type) {
    case 'CreateConversation':
      return create(command.data, state);
    case 'AddMembers':
      return addMembers(command.data, existing(state, command.data.actorId));
    case 'RemoveMember':
      return removeMember(command.data, existing(state, command.data.actorId));
    case 'RenameConversation':
      return rename(command.data, existing(state, command.data.actorId));
  }
}

export function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  switch (event.type) {
    case 'conversation.created': {
      const { conversationId, kind, title, members, createdBy, createdAt } = event.data;
      return { id: conversationId, kind, title, members, createdBy, createdAt };
    }
    case 'conversation.members_added':
      return state && { ...state, members: unique([...state.members, ...event.data.userIds]) };
    case 'conversation.member_removed':
      return state && { ...state, members: state.members.filter((m) => m !== event.data.userId) };
    case 'conversation.renamed':
      return state && { ...state, title: event.data.title };
  }
}

function create(data: CreateConversation['data'], state: ConversationState): ConversationCreated[] {
  if (state) throw new DomainError('conflict', 'conversation already exists');
  const title = data.title.trim();
  if (title.length > limits.titleMaxChars) throw invalid(`title: at most ${limits.titleMaxChars} characters`);
  const members = unique([data.actorId, ...data.memberIds]);
  const others = members.length - 1;
  const kind = kindOf(data.kind, others);
  if (kind === 'group' && !title && others === 0) throw invalid('member_ids: name at least one other member, or give the conversation a title');
  if (kind === 'group' && !title) throw invalid('title: a group conversation needs a title');
  if (members.length > limits.groupMaxMembers) throw invalid(`member_ids: a group has at most ${limits.groupMaxMembers} members`);
  return [
    {
      type: 'conversation.created',
      schemaVersion: 1,
      data: { conversationId: data.conversationId, kind, title, members, createdBy: data.actorId, createdAt: data.now.toISOString() },
    },
  ];
}

/**
 * One other member is the pair's direct chat whatever the title (seed 001's client titles it with
 * the other person's name); only an explicit `group` makes a group of two.
 */
function kindOf(asked: ConversationKind | undefined, others: number): ConversationKind {
  if (asked === 'direct' && others !== 1) throw invalid('kind: a direct conversation has exactly one other member');
  return asked ?? (others === 1 ? 'direct' : 'group');
}

/** Changes to an existing conversation may come only from one of its members. */
function existing(state: ConversationState, actorId: string): Conversation {
  if (!state) throw new DomainError('not_found', 'conversation not found');
  if (!state.members.includes(actorId)) throw new DomainError('not_a_member', 'not a member of this conversation');
  return state;
}

function addMembers(data: AddMembers['data'], state: Conversation): MembersAdded[] {
  // A direct chat is identified by its pair; a third member would make it a different thing.
  if (state.kind === 'direct') throw invalid('user_ids: a direct conversation cannot have more members');
  const userIds = unique(data.userIds).filter((id) => !state.members.includes(id));
  // Adding someone who is already there is a retry, not an error.
  if (userIds.length === 0) return [];
  if (state.members.length + userIds.length > limits.groupMaxMembers) {
    throw invalid(`user_ids: a group has at most ${limits.groupMaxMembers} members`);
  }
  return [
    {
      type: 'conversation.members_added',
      schemaVersion: 1,
      data: { conversationId: state.id, userIds, addedBy: data.actorId, addedAt: data.now.toISOString() },
    },
  ];
}

function removeMember(data: RemoveMember['data'], state: Conversation): MemberRemoved[] {
  // The direct key would still point at the pair, so re-creating the chat would return one the leaver cannot read.
  if (state.kind === 'direct') throw invalid('user_id: members cannot leave or be removed from a direct conversation');
  // Removing someone already gone is a retry, not an error.
  if (!state.members.includes(data.userId)) return [];
  return [
    {
      type: 'conversation.member_removed',
      schemaVersion: 1,
      data: { conversationId: state.id, userId: data.userId, removedBy: data.actorId, removedAt: data.now.toISOString() },
    },
  ];
}

function rename(data: RenameConversation['data'], state: Conversation): ConversationRenamed[] {
  // A direct chat is named after the other person by each client; its stored title is only what the first create said.
  if (state.kind === 'direct') throw invalid('title: a direct conversation cannot be renamed');
  const title = data.title.trim();
  if (!title) throw invalid('title: must not be empty');
  if (title.length > limits.titleMaxChars) throw invalid(`title: at most ${limits.titleMaxChars} characters`);
  if (title === state.title) return [];
  return [
    {
      type: 'conversation.renamed',
      schemaVersion: 1,
      data: { conversationId: state.id, title, renamedBy: data.actorId, renamedAt: data.now.toISOString() },
    },
  ];
}

import { DomainError } from '@pneumatic/contracts';
import { appendToStream, lockStream, readStream, withTransaction, type Database, type EventMetadata } from '@pneumatic/platform';
import {
  decide,
  directKeyOf,
  evolve,
  type Conversation,
  type ConversationCommand,
  type ConversationCreated,
  type ConversationEvent,
  type ConversationState,
  type CreateConversation,
} from '../domain/conversation';
import { upcast } from '../domain/upcast';
import {
  DirectConversationTaken,
  project,
  readConversation,
  readConversationIdsOf,
  readConversationPage,
  readDirectConversation,
} from './conversation-projection';
import type { ListPosition } from '../domain/conversation-page';

/** Conversation streams in the event store (stream id = conversation id) plus their inline projection. */
export class ConversationStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores a decided creation. A direct chat whose pair already has one is not created again:
   * the existing conversation comes back with `created: false`.
   */
  async create(event: ConversationCreated, metadata?: EventMetadata): Promise<{ conversation: Conversation; created: boolean }> {
    const { conversationId, kind, members } = event.data;
    const directKey = kind === 'direct' ? directKeyOf(members) : null;
    if (directKey) {
      const existing = await readDirectConversation(this.db, directKey);
      if (existing) return { conversation: existing, created: false };
    }
    try {
      const conversation = await withTransaction(this.db, async (client) => {
        const version = await lockStream(client, conversationId);
        if (version !== 0) throw new DomainError('conflict', 'conversation already exists');
        await appendToStream(client, conversationId, version, [{ ...event, metadata }]);
        await project(client, [event]);
        return (await readConversation(client, conversationId))!;
      });
      return { conversation, created: true };
    } catch (err) {
      if (!(err instanceof DirectConversationTaken)) throw err;
      const winner = await readDirectConversation(this.db, err.directKey);
      if (!winner) throw err;
      return { conversation: winner, created: false };
    }
  }

  /**
   * Runs a command against a conversation's current state. The stream lock makes concurrent
   * commands on one conversation queue up, so each decides on the state the previous one left.
   */
  async update(
    conversationId: string,
    command: Exclude<ConversationCommand, CreateConversation>,
    metadata?: EventMetadata,
  ): Promise<{ conversation: Conversation; events: ConversationEvent[] }> {
    return withTransaction(this.db, async (client) => {
      const version = await lockStream(client, conversationId);
      // Only this module writes these streams, so once upcast their data has the shapes the decider emits.
      const past = (await readStream(client, conversationId)).map(upcast) as unknown as ConversationEvent[];
      const events = decide(command, past.reduce<ConversationState>(evolve, null));
      await appendToStream(client, conversationId, version, events.map((e) => ({ ...e, metadata })));
      await project(client, events);
      return { conversation: (await readConversation(client, conversationId))!, events };
    });
  }

  get(conversationId: string): Promise<Conversation | null> {
    return readConversation(this.db, conversationId);
  }

  pageFor(userId: string, after: ListPosition | null, limit: number) {
    return readConversationPage(this.db, userId, after, limit);
  }

  idsOf(userId: string, after: string | null, limit: number): Promise<string[]> {
    return readConversationIdsOf(this.db, userId, after, limit);
  }

  async membership(conversationId: string, userId: string): Promise<{ exists: boolean; member: boolean }> {
    const { rows } = await this.db.query<{ exists: boolean; member: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1) AS exists,
              EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2) AS member`,
      [conversationId, userId],
    );
    return rows[0]!;
  }
}

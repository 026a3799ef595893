import { DomainError, Id, type Message } from '@pneumatic/contracts';
import {
  appendToStream,
  appendToStreams,
  lockStream,
  lockStreams,
  withTransaction,
  type Database,
  type EventMetadata,
  type PoolClient,
  type StreamAppend,
} from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import {
  decide,
  evolve,
  initialMessageStream,
  sentKey,
  type DeleteMessage,
  type EditMessage,
  type MarkRead,
  type MessageStreamEvent,
  type MessageStreamState,
  type ReactToMessage,
  type SendMessage,
} from '../domain/message-stream';
import { projectToHistory, toMessage, type HistoryRow, type StoredMessageEvent } from './history-projection';

type Queryable = Pick<PoolClient, 'query'>;

export interface AppendResult {
  message: Message;
  duplicate: boolean;
}
export type SendRequest = Omit<SendMessage, 'type' | 'id' | 'now'>;
export interface SendItem {
  request: SendRequest;
  metadata: EventMetadata;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

const uniqueViolation = '23505';
const usedElsewhere = () => new DomainError('conflict', 'message_id was already used for a message in another conversation');

/** Message streams in the event store (stream id = conversation id) and their inline history read model. */
export class MessageStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores one message, or returns the original when this sender already sent this client
   * message id. The stream lock serializes a conversation's writers, so a retry that races its
   * original sees it once the original commits.
   */
  async appendMessage(item: SendItem): Promise<AppendResult> {
    try {
      const [outcome] = await this.appendBatch([item]);
      if (!outcome!.ok) throw outcome!.error;
      return outcome!.value;
    } catch (err) {
      // The same client id raced into another conversation's stream: the other one won.
      if ((err as { code?: string }).code !== uniqueViolation) throw err;
      const [original] = await this.findSent(this.db, [item.request]);
      if (!original) throw err;
      if (original.conversation_id !== item.request.conversationId) throw usedElsewhere();
      return { message: original, duplicate: true };
    }
  }

  /**
   * Stores many sends in one transaction (group commit), in a fixed number of round trips per
   * conversation. Streams are locked in id order so that concurrent batches cannot deadlock; within a conversation the decider runs over the sends in
   * arrival order, so they get consecutive seqs and retries of one message_id resolve to one
   * message. A send the decider refuses fails alone; a failed transaction fails them all.
   */
  async appendBatch(items: SendItem[]): Promise<Outcome<AppendResult>[]> {
    return withTransaction(this.db, async (tx) => {
      const outcomes: Outcome<AppendResult>[] = new Array(items.length);
      const byConversation = new Map<string, number[]>();
      items.forEach(({ request }, i) => byConversation.set(request.conversationId, [...(byConversation.get(request.conversationId) ?? []), i]));
      const conversationIds = [...byConversation.keys()].sort();
      const versions = await lockStreams(tx, conversationIds);
      const originals = await this.findSent(tx, items.map((i) => i.request));
      const lastSeqs = await this.lastSeqs(tx, conversationIds);
      // A client id belongs to the conversation of its stored original, else of its first send here.
      const owner = new Map(originals.map((m) => [sentKey(m.sender_id, m.message_id), m.conversation_id]));
      for (const { request } of items) {
        const key = sentKey(request.actorId, request.clientMessageId);
        if (!owner.has(key)) owner.set(key, request.conversationId);
      }
      const appends: StreamAppend[] = [];
      for (const conversationId of conversationIds) {
        let state = stateOf({ lastSeq: lastSeqs.get(conversationId) ?? 0, messages: originals.filter((m) => m.conversation_id === conversationId) });
        const decided: MessageStreamEvent[] = [];
        for (const index of byConversation.get(conversationId)!) {
          const { request, metadata } = items[index]!;
          const key = sentKey(request.actorId, request.clientMessageId);
          if (owner.get(key) !== conversationId) {
            outcomes[index] = { ok: false, error: usedElsewhere() };
            continue;
          }
          try {
            const events = decide({ ...request, type: 'SendMessage', id: randomUUID(), now: new Date() }, state);
            state = events.reduce(evolve, state);
            decided.push(...events.map((e) => ({ ...e, metadata })));
            outcomes[index] = { ok: true, value: { message: state.messages[state.sent[key]!]!, duplicate: events.length === 0 } };
          } catch (error) {
            outcomes[index] = { ok: false, error };
          }
        }
        appends.push({ streamId: conversationId, expectedVersion: versions.get(conversationId)!, events: decided });
      }
      await projectToHistory(tx, (await appendToStreams(tx, appends)) as StoredMessageEvent[]);
      return outcomes;
    });
  }

  /** A message by its server id, or by the client message id `actorId` gave it. */
  async locate(reference: string, actorId: string): Promise<Message | undefined> {
    if (Id.safeParse(reference).success) {
      const byId = await this.findById(this.db, reference);
      if (byId) return byId;
    }
    const [own] = await this.findSent(this.db, [{ actorId, clientMessageId: reference }]);
    return own;
  }

  /** Edits, deletes or reacts to a message of `conversationId`; replies with the message as it now is. */
  async changeMessage(
    conversationId: string,
    command: EditMessage | DeleteMessage | ReactToMessage,
    metadata: EventMetadata,
  ): Promise<{ message: Message; events: StoredMessageEvent[] }> {
    return withTransaction(this.db, async (tx) => {
      const version = await lockStream(tx, conversationId);
      const current = await this.findById(tx, command.messageId);
      const state = stateOf({ messages: current?.conversation_id === conversationId ? [current] : [] });
      const events = decide(command, state);
      const stored = await this.append(tx, conversationId, version, events.map((e) => ({ ...e, metadata })));
      return { message: events.reduce(evolve, state).messages[command.messageId]!, events: stored };
    });
  }

  /** Moves the reader's cursor forward; replies with the cursor after the call. */
  async markRead(conversationId: string, command: MarkRead, metadata: EventMetadata): Promise<{ seq: number; moved: boolean }> {
    return withTransaction(this.db, async (tx) => {
      const version = await lockStream(tx, conversationId);
      const lastSeq = (await this.lastSeqs(tx, [conversationId])).get(conversationId) ?? 0;
      const { rows } = await tx.query<{ seq: string }>('SELECT seq FROM read_cursors WHERE conversation_id = $1 AND user_id = $2', [
        conversationId,
        command.actorId,
      ]);
      const state = stateOf({ lastSeq, readCursors: rows[0] ? { [command.actorId]: Number(rows[0].seq) } : {} });
      const events = decide(command, state);
      await this.append(tx, conversationId, version, events.map((e) => ({ ...e, metadata })));
      return { seq: events.reduce(evolve, state).readCursors[command.actorId] ?? 0, moved: events.length > 0 };
    });
  }

  async page(
    conversationId: string,
    { limit, before_seq, after_seq }: { limit: number; before_seq?: number; after_seq?: number },
  ): Promise<{ messages: Message[]; has_more: boolean }> {
    const newer = after_seq !== undefined;
    const { rows } = await this.db.query<HistoryRow>(
      newer
        ? `SELECT * FROM history WHERE conversation_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`
        : `SELECT * FROM history WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [conversationId, newer ? after_seq : (before_seq ?? Number.MAX_SAFE_INTEGER), limit + 1],
    );
    const has_more = rows.length > limit;
    const page = rows.slice(0, limit).map(toMessage);
    return { messages: newer ? page : page.reverse(), has_more };
  }

  private async append(tx: PoolClient, conversationId: string, version: number, events: MessageStreamEvent[]) {
    const stored = (await appendToStream(tx, conversationId, version, events)) as StoredMessageEvent[];
    await projectToHistory(tx, stored);
    return stored;
  }

  private async findById(db: Queryable, id: string): Promise<Message | undefined> {
    const { rows } = await db.query<HistoryRow>('SELECT * FROM history WHERE id = $1', [id]);
    return rows[0] && toMessage(rows[0]);
  }

  private async findSent(db: Queryable, requests: Pick<SendRequest, 'actorId' | 'clientMessageId'>[]): Promise<Message[]> {
    const { rows } = await db.query<HistoryRow>(
      `SELECT h.* FROM history h JOIN unnest($1::uuid[], $2::text[]) AS k(sender_id, client_message_id)
         ON h.sender_id = k.sender_id AND h.client_message_id = k.client_message_id`,
      [requests.map((r) => r.actorId), requests.map((r) => r.clientMessageId)],
    );
    return [...new Map(rows.map((r) => [r.id, toMessage(r)])).values()];
  }

  /** Per conversation, so each max is one step down the (conversation_id, seq) index. */
  private async lastSeqs(tx: Queryable, conversationIds: string[]): Promise<Map<string, number>> {
    const { rows } = await tx.query<{ id: string; last: string | null }>(
      `SELECT c.id, (SELECT max(seq) FROM history WHERE conversation_id = c.id) AS last FROM unnest($1::uuid[]) AS c(id)`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.id, Number(r.last ?? 0)]));
  }
}

/** The slice of a stream's state a command needs, as loaded from the read model. */
function stateOf(slice: { lastSeq?: number; messages?: Message[]; readCursors?: Record<string, number> }): MessageStreamState {
  const state = initialMessageStream();
  for (const m of slice.messages ?? []) {
    state.messages[m.id] = m;
    state.sent[sentKey(m.sender_id, m.message_id)] = m.id;
  }
  return { ...state, lastSeq: slice.lastSeq ?? 0, readCursors: slice.readCursors ?? {} };
}

import { DomainError, type Message } from '@pneumatic/contracts';
import { appendToStream, lockStream, withTransaction, type Database, type PoolClient } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import { decide, type SendMessage } from '../domain/message-stream';

export interface AppendResult {
  message: Message;
  duplicate: boolean;
}

export type SendRequest = Omit<SendMessage, 'type' | 'id' | 'now'>;

const uniqueViolation = '23505';

/** Events and the history read model of every conversation's messages, in the `messages` schema. */
export class MessageStore {
  constructor(private readonly db: Database) {}

  /**
   * Appends a message to its conversation's stream, or returns the original when this sender
   * already sent this client message id. The stream lock serializes a conversation's writers,
   * so a retry that races its original sees it once the original commits.
   */
  async appendMessage(request: SendRequest): Promise<AppendResult> {
    try {
      return await withTransaction(this.db, async (tx) => {
        const version = await lockStream(tx, request.conversationId);
        const original = await this.findBySender(tx, request.senderId, request.clientMessageId);
        if (original) return { message: sameConversation(original, request.conversationId), duplicate: true };
        const lastSeq = await this.lastSeq(tx, request.conversationId);
        const events = decide({ ...request, type: 'SendMessage', id: randomUUID(), now: new Date() }, { lastSeq });
        await appendToStream(tx, request.conversationId, version, events);
        const message = events[0]!.data.message;
        await insertHistory(tx, message);
        return { message, duplicate: false };
      });
    } catch (err) {
      // The same client id raced into another conversation's stream: the other one won.
      if ((err as { code?: string }).code !== uniqueViolation) throw err;
      const original = await this.findBySender(this.db, request.senderId, request.clientMessageId);
      if (!original) throw err;
      return { message: sameConversation(original, request.conversationId), duplicate: true };
    }
  }

  async page(
    conversationId: string,
    { limit, before_seq, after_seq }: { limit: number; before_seq?: number; after_seq?: number },
  ): Promise<{ messages: Message[]; has_more: boolean }> {
    const newer = after_seq !== undefined;
    const { rows } = await this.db.query(
      newer
        ? `SELECT * FROM history WHERE conversation_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`
        : `SELECT * FROM history WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [conversationId, newer ? after_seq : (before_seq ?? Number.MAX_SAFE_INTEGER), limit + 1],
    );
    const has_more = rows.length > limit;
    const page = rows.slice(0, limit).map(toMessage);
    return { messages: newer ? page : page.reverse(), has_more };
  }

  private async findBySender(
    db: Database | PoolClient,
    senderId: string,
    clientMessageId: string,
  ): Promise<Message | undefined> {
    const { rows } = await db.query('SELECT * FROM history WHERE sender_id = $1 AND client_message_id = $2', [
      senderId,
      clientMessageId,
    ]);
    return rows[0] && toMessage(rows[0]);
  }

  private async lastSeq(tx: PoolClient, conversationId: string): Promise<number> {
    const { rows } = await tx.query<{ last: string }>(
      'SELECT coalesce(max(seq), 0) AS last FROM history WHERE conversation_id = $1',
      [conversationId],
    );
    return Number(rows[0]!.last);
  }
}

function sameConversation(original: Message, conversationId: string): Message {
  if (original.conversation_id !== conversationId) {
    throw new DomainError('conflict', 'message_id was already used for a message in another conversation');
  }
  return original;
}

async function insertHistory(tx: PoolClient, m: Message): Promise<void> {
  await tx.query(
    `INSERT INTO history (id, conversation_id, seq, client_message_id, sender_id, sender_username, content, created_at, mentions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [m.id, m.conversation_id, m.seq, m.message_id, m.sender_id, m.sender_username, m.content, m.created_at, JSON.stringify(m.mentions)],
  );
}

interface HistoryRow {
  id: string;
  conversation_id: string;
  seq: string;
  client_message_id: string;
  sender_id: string;
  sender_username: string;
  content: string;
  created_at: Date;
  edited_at: Date | null;
  deleted: boolean;
  reactions: Record<string, string[]>;
  mentions: string[];
}

function toMessage(r: HistoryRow): Message {
  return {
    id: r.id,
    message_id: r.client_message_id,
    conversation_id: r.conversation_id,
    seq: Number(r.seq),
    sender_id: r.sender_id,
    sender_username: r.sender_username,
    content: r.deleted ? '' : r.content,
    created_at: r.created_at.toISOString(),
    edited_at: r.edited_at?.toISOString() ?? null,
    deleted: r.deleted,
    reactions: r.reactions,
    mentions: r.mentions,
  };
}

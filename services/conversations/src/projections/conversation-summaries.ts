import { RelayedMessageEvent, type Message } from '@pneumatic/contracts';
import type { Logger, PoolClient, Projection, RelayedEvent } from '@pneumatic/platform';

type Queryable = Pick<PoolClient, 'query'>;

/** What one messages event changes in the summaries; pure, so every stored version can be checked without a database. */
export type SummaryChange =
  | { kind: 'sent'; conversationId: string; message: Message }
  | { kind: 'edited'; conversationId: string; messageId: string; content: string; editedAt: string }
  | { kind: 'deleted'; conversationId: string; messageId: string }
  | { kind: 'reaction'; conversationId: string; messageId: string; emoji: string; userId: string; action: 'add' | 'remove' }
  | { kind: 'read'; conversationId: string; userId: string; seq: number };

/** The change an event makes, null for an event type this projection does not use; throws on a malformed event. */
export function summaryChangeOf(event: RelayedEvent): SummaryChange | null {
  if (!event.type.startsWith('message.')) return null;
  const e = RelayedMessageEvent.parse(event);
  const conversationId = e.stream_id;
  switch (e.type) {
    case 'message.sent':
      if (e.version === 1) return { kind: 'sent', conversationId, message: e.data.message };
      return {
        kind: 'sent',
        conversationId,
        message: {
          ...e.data,
          message_id: e.data.client_message_id,
          edited_at: null,
          deleted: false,
          reactions: {},
          mentions: [],
        },
      };
    case 'message.edited':
      return { kind: 'edited', conversationId, messageId: e.data.messageId, content: e.data.content, editedAt: e.data.editedAt };
    case 'message.deleted':
      return { kind: 'deleted', conversationId, messageId: e.data.messageId };
    case 'message.reaction':
      return { kind: 'reaction', conversationId, ...e.data };
    case 'message.read':
      return { kind: 'read', conversationId, userId: e.data.userId, seq: e.data.seq };
  }
}

/** A change to the conversation's latest message, if `message` is it; returns the new value. */
export function changeLastMessage(message: Message, change: SummaryChange): Message {
  if (change.kind === 'edited' && !message.deleted) return { ...message, content: change.content, edited_at: change.editedAt };
  if (change.kind === 'deleted') return { ...message, deleted: true, content: '' };
  if (change.kind !== 'reaction') return message;
  const users = message.reactions[change.emoji] ?? [];
  const next = change.action === 'add' ? [...new Set([...users, change.userId])] : users.filter((u) => u !== change.userId);
  const others = Object.fromEntries(Object.entries(message.reactions).filter(([emoji]) => emoji !== change.emoji));
  return { ...message, reactions: next.length > 0 ? { ...others, [change.emoji]: next } : others };
}

/** Applies one change; every statement is monotonic or idempotent, so a duplicate changes nothing. */
export async function applySummaryChange(tx: Queryable, change: SummaryChange): Promise<void> {
  switch (change.kind) {
    case 'sent': {
      const m = change.message;
      await tx.query(
        `INSERT INTO conversation_summaries AS s (conversation_id, last_seq, last_message, last_activity_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (conversation_id) DO UPDATE
           SET last_seq = excluded.last_seq, last_message = excluded.last_message, last_activity_at = excluded.last_activity_at
           WHERE s.last_seq < excluded.last_seq`,
        [change.conversationId, m.seq, JSON.stringify(m), m.created_at],
      );
      await moveReadCursor(tx, change.conversationId, m.sender_id, m.seq);
      return;
    }
    case 'read':
      await moveReadCursor(tx, change.conversationId, change.userId, change.seq);
      return;
    default: {
      const { rows } = await tx.query<{ last_message: Message }>(
        `SELECT last_message FROM conversation_summaries WHERE conversation_id = $1 AND last_message->>'id' = $2 FOR UPDATE`,
        [change.conversationId, change.messageId],
      );
      if (!rows[0]) return;
      await tx.query('UPDATE conversation_summaries SET last_message = $2 WHERE conversation_id = $1', [
        change.conversationId,
        JSON.stringify(changeLastMessage(rows[0].last_message, change)),
      ]);
    }
  }
}

async function moveReadCursor(tx: Queryable, conversationId: string, userId: string, seq: number) {
  await tx.query(
    `INSERT INTO read_cursors AS r (conversation_id, user_id, seq) VALUES ($1, $2, $3)
     ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = greatest(r.seq, excluded.seq)`,
    [conversationId, userId, seq],
  );
}

/** Conversation summaries and read cursors, fed by the messages service's relayed events. */
export function conversationSummaries(logger: Logger): Projection {
  return {
    name: 'conversation_summaries',
    subject: 'events.messages.>',
    async apply(tx, event) {
      let change: SummaryChange | null;
      try {
        change = summaryChangeOf(event);
      } catch (err) {
        // A malformed event would otherwise stop the projection for good; it is logged and passed.
        logger.error({ err, eventId: event.id, type: event.type, version: event.version }, 'summary projection skipped a malformed event');
        return;
      }
      if (change) await applySummaryChange(tx, change);
    },
    async reset(tx) {
      await tx.query('TRUNCATE conversation_summaries, read_cursors');
    },
  };
}

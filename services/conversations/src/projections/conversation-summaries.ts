import { RelayedMessageEvent, withReaction, type Message } from '@pneumatic/contracts';
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
function changeLastMessage(message: Message, change: SummaryChange): Message {
  if (change.kind === 'edited' && !message.deleted) return { ...message, content: change.content, edited_at: change.editedAt };
  if (change.kind === 'deleted') return { ...message, deleted: true, content: '' };
  if (change.kind !== 'reaction') return message;
  return { ...message, reactions: withReaction(message.reactions, change.emoji, change.userId, change.action) };
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

/**
 * Applies changes in order, as applySummaryChange would one by one, but coalesced: consecutive
 * sends to a conversation only leave its newest as the summary and each member's greatest cursor,
 * so a busy batch costs one statement instead of two per message. A change to a message flushes
 * that conversation first, because it may name the message just sent.
 */
export async function applySummaryChanges(tx: Queryable, changes: SummaryChange[]): Promise<void> {
  const latest = new Map<string, Message>();
  const cursors = new Map<string, { conversationId: string; userId: string; seq: number }>();
  const flush = async (conversationId?: string) => {
    const sent = [...latest.entries()].filter(([id]) => conversationId === undefined || id === conversationId);
    const moved = [...cursors.entries()].filter(([, c]) => conversationId === undefined || c.conversationId === conversationId);
    if (sent.length > 0 || moved.length > 0) {
      // One statement for both tables: a data-modifying CTE runs whether or not it is referenced.
      await tx.query(
        `WITH summaries AS (
           INSERT INTO conversation_summaries AS s (conversation_id, last_seq, last_message, last_activity_at)
           SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[], $4::timestamptz[])
           ON CONFLICT (conversation_id) DO UPDATE
             SET last_seq = excluded.last_seq, last_message = excluded.last_message, last_activity_at = excluded.last_activity_at
             WHERE s.last_seq < excluded.last_seq)
         INSERT INTO read_cursors AS r (conversation_id, user_id, seq)
         SELECT * FROM unnest($5::uuid[], $6::uuid[], $7::bigint[])
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = greatest(r.seq, excluded.seq)`,
        [
          sent.map(([id]) => id),
          sent.map(([, m]) => m.seq),
          sent.map(([, m]) => JSON.stringify(m)),
          sent.map(([, m]) => m.created_at),
          moved.map(([, c]) => c.conversationId),
          moved.map(([, c]) => c.userId),
          moved.map(([, c]) => c.seq),
        ],
      );
    }
    sent.forEach(([id]) => latest.delete(id));
    moved.forEach(([key]) => cursors.delete(key));
  };
  const moveCursor = (conversationId: string, userId: string, seq: number) => {
    const key = `${conversationId}:${userId}`;
    cursors.set(key, { conversationId, userId, seq: Math.max(seq, cursors.get(key)?.seq ?? 0) });
  };
  for (const change of changes) {
    if (change.kind === 'sent') {
      if ((latest.get(change.conversationId)?.seq ?? 0) < change.message.seq) latest.set(change.conversationId, change.message);
      moveCursor(change.conversationId, change.message.sender_id, change.message.seq);
    } else if (change.kind === 'read') {
      moveCursor(change.conversationId, change.userId, change.seq);
    } else {
      await flush(change.conversationId);
      await applySummaryChange(tx, change);
    }
  }
  await flush();
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
    async apply(tx, events) {
      const changes: SummaryChange[] = [];
      for (const event of events) {
        try {
          const change = summaryChangeOf(event);
          if (change) changes.push(change);
        } catch (err) {
          // A malformed event would otherwise stop the projection for good; it is logged and passed.
          logger.error({ err, eventId: event.id, type: event.type, version: event.version }, 'summary projection skipped a malformed event');
        }
      }
      await applySummaryChanges(tx, changes);
    },
    async reset(tx) {
      await tx.query('TRUNCATE conversation_summaries, read_cursors');
    },
  };
}

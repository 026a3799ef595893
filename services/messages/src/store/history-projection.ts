import type { Message } from '@pneumatic/contracts';
import type { PoolClient, StoredEvent } from '@pneumatic/platform';
import type { MessageSent, MessageStreamEvent } from '../domain/message-stream';

type Queryable = Pick<PoolClient, 'query'>;
export type StoredMessageEvent = StoredEvent & MessageStreamEvent;

/**
 * The only writer of the history read model (`history` and `read_cursors`): applies stored,
 * upcast events of a conversation's message stream, in order. Called inside the append
 * transaction (read-your-writes) and by the rebuild, which replays the events through it.
 * Applying an event twice leaves the same rows. Consecutive sends go in one statement, so a
 * group-committed batch costs one round trip here.
 */
export async function projectToHistory(tx: Queryable, events: StoredMessageEvent | StoredMessageEvent[]): Promise<void> {
  const list = Array.isArray(events) ? events : [events];
  for (let i = 0; i < list.length; ) {
    let end = i;
    while (end < list.length && list[end]!.type === 'message.sent') end++;
    if (end > i) {
      await insertSent(tx, list.slice(i, end) as (StoredMessageEvent & MessageSent)[]);
      i = end;
    } else {
      await applyChange(tx, list[i++]!);
    }
  }
}

async function insertSent(tx: Queryable, events: MessageSent[]): Promise<void> {
  const rows = sentHistoryRows(events.map((e) => e.data.message));
  await tx.query({
    name: 'history.insert-sent',
    text: `INSERT INTO history (${historyColumns}) SELECT h.* FROM ${rows.sql} ON CONFLICT (id) DO NOTHING`,
    values: rows.values,
  });
}

/** New messages as a set of `history` rows (`h`), to insert alone or within a larger statement; parameters from `first`. */
export function sentHistoryRows(messages: Message[], first = 1): { sql: string; values: unknown[]; column: (name: (typeof historyColumnNames)[number]) => string } {
  const column = <T>(pick: (m: Message) => T) => messages.map(pick);
  const types = ['uuid', 'uuid', 'bigint', 'text', 'uuid', 'text', 'text', 'timestamptz', 'timestamptz', 'boolean', 'jsonb', 'jsonb'];
  return {
    sql: `unnest(${types.map((type, i) => `$${first + i}::${type}[]`).join(', ')}) AS h(${historyColumns})`,
    /** The parameter holding one column's array, by column name. */
    column: (name: (typeof historyColumnNames)[number]) => `$${first + historyColumnNames.indexOf(name)}`,
    values: [
      column((m) => m.id),
      column((m) => m.conversation_id),
      column((m) => m.seq),
      column((m) => m.message_id),
      column((m) => m.sender_id),
      column((m) => m.sender_username),
      column((m) => m.content),
      column((m) => m.created_at),
      column((m) => m.edited_at),
      column((m) => m.deleted),
      column((m) => JSON.stringify(m.reactions)),
      column((m) => JSON.stringify(m.mentions)),
    ],
  };
}

async function applyChange(tx: Queryable, event: StoredMessageEvent): Promise<void> {
  switch (event.type) {
    case 'message.sent':
      return insertSent(tx, [event]);
    case 'message.edited':
      await tx.query('UPDATE history SET content = $2, edited_at = $3 WHERE id = $1 AND NOT deleted', [
        event.data.messageId,
        event.data.content,
        event.data.editedAt,
      ]);
      return;
    case 'message.deleted':
      await tx.query(`UPDATE history SET deleted = true, content = '' WHERE id = $1`, [event.data.messageId]);
      return;
    case 'message.reaction': {
      const { messageId, emoji, userId, action } = event.data;
      await tx.query(
        action === 'add'
          ? `UPDATE history SET reactions = jsonb_set(reactions, ARRAY[$2], coalesce(reactions->$2, '[]') || to_jsonb($3::text))
             WHERE id = $1 AND NOT coalesce(reactions->$2, '[]') ? $3`
          : `UPDATE history SET reactions = CASE WHEN (reactions->$2) - $3 = '[]' THEN reactions - $2
               ELSE jsonb_set(reactions, ARRAY[$2], (reactions->$2) - $3) END
             WHERE id = $1 AND coalesce(reactions->$2, '[]') ? $3`,
        [messageId, emoji, userId],
      );
      return;
    }
    case 'message.read':
      await tx.query(
        `INSERT INTO read_cursors (conversation_id, user_id, seq) VALUES ($1, $2, $3)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = greatest(read_cursors.seq, excluded.seq)`,
        [event.streamId, event.data.userId, event.data.seq],
      );
      return;
  }
}

/** `history` columns in `HistoryRow` order, for statements that must not depend on the table's column order. */
const historyColumnNames = [
  'id', 'conversation_id', 'seq', 'client_message_id', 'sender_id', 'sender_username', 'content', 'created_at', 'edited_at', 'deleted', 'reactions', 'mentions',
] as const;
export const historyColumns = historyColumnNames.join(', ');

export interface HistoryRow {
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

export function toMessage(r: HistoryRow): Message {
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

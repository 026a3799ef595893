import type { Conversation, Message } from '@pneumatic/contracts';
import type { PoolClient } from '@pneumatic/platform';

type Queryable = Pick<PoolClient, 'query'>;

interface SummaryRow {
  conversation_id: string;
  last_seq: string;
  last_message: Message;
  last_activity_at: Date;
  read_seq: string;
}

/**
 * Fills in the summary fields (last message, last seq, the reader's unread count) and orders by
 * newest activity: the last message's time, or creation for a conversation without messages.
 * The summaries lag the messages service slightly (a projection over JetStream).
 */
export async function withSummaries(db: Queryable, readerId: string, conversations: Conversation[]): Promise<Conversation[]> {
  if (conversations.length === 0) return conversations;
  const { rows } = await db.query<SummaryRow>(
    `SELECT s.conversation_id, s.last_seq, s.last_message, s.last_activity_at, coalesce(r.seq, 0) AS read_seq
     FROM conversation_summaries s
     LEFT JOIN read_cursors r ON r.conversation_id = s.conversation_id AND r.user_id = $1
     WHERE s.conversation_id = ANY($2::uuid[])`,
    [readerId, conversations.map((c) => c.id)],
  );
  const byId = new Map(rows.map((r) => [r.conversation_id, r]));
  const activity = new Map<string, number>();
  const merged = conversations.map((c) => {
    const summary = byId.get(c.id);
    activity.set(c.id, summary ? summary.last_activity_at.getTime() : Date.parse(c.created_at));
    if (!summary) return c;
    const lastSeq = Number(summary.last_seq);
    return { ...c, last_message: summary.last_message, last_seq: lastSeq, unread_count: Math.max(0, lastSeq - Number(summary.read_seq)) };
  });
  return merged.sort((a, b) => activity.get(b.id)! - activity.get(a.id)! || (a.id < b.id ? 1 : -1));
}

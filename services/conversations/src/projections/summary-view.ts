import type { Conversation, Message } from '@pneumatic/contracts';
import type { PoolClient } from '@pneumatic/platform';

type Queryable = Pick<PoolClient, 'query'>;

interface SummaryRow {
  conversation_id: string;
  last_seq: string;
  last_message: Message;
  read_seq: string;
}

/**
 * Fills in the summary fields (last message, last seq, the reader's unread count), keeping the
 * order given (the list's order comes from its keyset page). The summaries lag the messages
 * service slightly (a projection over JetStream).
 */
export async function withSummaries(db: Queryable, readerId: string, conversations: Conversation[]): Promise<Conversation[]> {
  if (conversations.length === 0) return conversations;
  const { rows } = await db.query<SummaryRow>(
    `SELECT s.conversation_id, s.last_seq, s.last_message, coalesce(r.seq, 0) AS read_seq
     FROM conversation_summaries s
     LEFT JOIN read_cursors r ON r.conversation_id = s.conversation_id AND r.user_id = $1
     WHERE s.conversation_id = ANY($2::uuid[])`,
    [readerId, conversations.map((c) => c.id)],
  );
  const byId = new Map(rows.map((r) => [r.conversation_id, r]));
  return conversations.map((c) => {
    const summary = byId.get(c.id);
    if (!summary) return c;
    const lastSeq = Number(summary.last_seq);
    return { ...c, last_message: summary.last_message, last_seq: lastSeq, unread_count: Math.max(0, lastSeq - Number(summary.read_seq)) };
  });
}

import type { PoolClient } from '@pneumatic/platform';
import { directKeyOf, type Conversation, type ConversationEvent } from '../domain/conversation';
import type { ListPosition } from '../domain/conversation-page';

type Queryable = Pick<PoolClient, 'query'>;

/** Another transaction committed a direct chat for the same pair first; the caller should return that one. */
export class DirectConversationTaken extends Error {
  constructor(readonly directKey: string) {
    super(`a direct conversation for ${directKey} already exists`);
  }
}

/** Applies events to the `conversations` and `members` tables, inside the transaction that appended them. */
export async function project(client: Queryable, events: ConversationEvent[]): Promise<void> {
  for (const event of events) {
    switch (event.type) {
      case 'conversation.created': {
        const { conversationId, kind, title, members, createdBy, createdAt } = event.data;
        const directKey = kind === 'direct' ? directKeyOf(members) : null;
        // DO NOTHING waits for a concurrent insert of the same key and then reports no row, instead
        // of failing the transaction; the caller rolls back and returns the winner.
        const inserted = await client.query(
          `INSERT INTO conversations (id, kind, title, created_by, created_at, direct_key)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (direct_key) DO NOTHING`,
          [conversationId, kind, title, createdBy, createdAt, directKey],
        );
        if (inserted.rowCount === 0 && directKey) throw new DirectConversationTaken(directKey);
        await addMembers(client, conversationId, members, createdAt);
        break;
      }
      case 'conversation.members_added':
        await addMembers(client, event.data.conversationId, event.data.userIds, event.data.addedAt);
        break;
      case 'conversation.member_removed':
        await client.query('DELETE FROM members WHERE conversation_id = $1 AND user_id = $2', [
          event.data.conversationId,
          event.data.userId,
        ]);
        break;
      case 'conversation.renamed':
        await client.query('UPDATE conversations SET title = $2 WHERE id = $1', [event.data.conversationId, event.data.title]);
        break;
    }
  }
}

async function addMembers(client: Queryable, conversationId: string, userIds: string[], joinedAt: string) {
  await client.query(
    `INSERT INTO members (conversation_id, user_id, joined_at)
     SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING`,
    [conversationId, userIds, joinedAt],
  );
}

const selectConversation = `
  SELECT c.id, c.kind, c.title, c.created_by, c.created_at,
    ARRAY(SELECT m.user_id::text FROM members m WHERE m.conversation_id = c.id ORDER BY m.joined_at, m.user_id) AS members
  FROM conversations c`;

interface ConversationRow {
  id: string;
  kind: Conversation['kind'];
  title: string;
  created_by: string;
  created_at: Date;
  members: string[];
}

const fromRow = (row: ConversationRow): Conversation => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  members: row.members,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
});

export async function readConversation(client: Queryable, id: string): Promise<Conversation | null> {
  const { rows } = await client.query<ConversationRow>(`${selectConversation} WHERE c.id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function readDirectConversation(client: Queryable, directKey: string): Promise<Conversation | null> {
  const { rows } = await client.query<ConversationRow>(`${selectConversation} WHERE c.direct_key = $1`, [directKey]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/**
 * One page of a user's conversations, newest activity first, ties by id. Activity is the last
 * message's time from the summaries projection (same schema), or creation for a conversation
 * without messages; `after` is where the previous page ended.
 */
export async function readConversationPage(
  client: Queryable,
  userId: string,
  after: ListPosition | null,
  limit: number,
): Promise<{ conversation: Conversation; position: ListPosition }[]> {
  const { rows } = await client.query<ConversationRow & { activity_micros: string }>(
    `SELECT c.id, c.kind, c.title, c.created_by, c.created_at,
       ARRAY(SELECT m.user_id::text FROM members m WHERE m.conversation_id = c.id ORDER BY m.joined_at, m.user_id) AS members,
       (extract(epoch FROM a.at) * 1000000)::bigint::text AS activity_micros
     FROM members me
     JOIN conversations c ON c.id = me.conversation_id
     LEFT JOIN conversation_summaries s ON s.conversation_id = c.id
     CROSS JOIN LATERAL (SELECT coalesce(s.last_activity_at, c.created_at) AS at) a
     WHERE me.user_id = $1
       AND ($2::bigint IS NULL OR (a.at, c.id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid))
     ORDER BY a.at DESC, c.id DESC
     LIMIT $4`,
    [userId, after?.activityMicros ?? null, after?.id ?? null, limit],
  );
  return rows.map((row) => ({ conversation: fromRow(row), position: { activityMicros: row.activity_micros, id: row.id } }));
}

/** The ids of a user's conversations in id order, after `after`: stable while activity moves. */
export async function readConversationIdsOf(client: Queryable, userId: string, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await client.query<{ conversation_id: string }>(
    `SELECT conversation_id FROM members WHERE user_id = $1 AND ($2::uuid IS NULL OR conversation_id > $2)
     ORDER BY conversation_id LIMIT $3`,
    [userId, after, limit],
  );
  return rows.map((r) => r.conversation_id);
}

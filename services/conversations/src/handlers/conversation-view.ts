import type { Conversation as ConversationView } from '@pneumatic/contracts';
import type { Conversation } from '../domain/conversation';

/** The public shape. Messages, sequence numbers and unread counts come from projections not built yet. */
export const toView = (c: Conversation): ConversationView => ({
  id: c.id,
  title: c.title,
  kind: c.kind,
  members: c.members,
  member_count: c.members.length,
  last_message: null,
  last_seq: 0,
  unread_count: 0,
  created_at: c.createdAt,
});

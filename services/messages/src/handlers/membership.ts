import { DomainError, contracts } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import { mentionedUsernames } from '../domain/mentions';

/** Membership belongs to the conversations service: an unknown conversation is a 404, the rest a yes or no. */
export async function isMember(bus: Bus, conversationId: string, userId: string): Promise<boolean> {
  const { exists, member } = await bus.call(contracts.conversationsMembership, { conversation_id: conversationId, user_id: userId });
  if (!exists) throw new DomainError('not_found', 'conversation not found');
  return member;
}

const resolveTimeoutMs = 1000;

/**
 * The sender's membership and the members mentioned as `@username` (non-members are ignored).
 * Mentions are a courtesy: if auth cannot resolve names in time the message goes out without them.
 */
export async function senderAndMentions(
  bus: Bus,
  logger: Logger,
  { conversationId, senderId, content }: { conversationId: string; senderId: string; content: string },
): Promise<{ senderIsMember: boolean; mentions: string[] }> {
  const usernames = mentionedUsernames(content);
  if (usernames.length === 0) return { senderIsMember: await isMember(bus, conversationId, senderId), mentions: [] };
  let members: string[];
  try {
    ({ members } = await bus.call(contracts.conversationsGet, { actor_id: senderId, conversation_id: conversationId }));
  } catch (err) {
    if (err instanceof DomainError && err.code === 'not_a_member') return { senderIsMember: false, mentions: [] };
    throw err;
  }
  try {
    const { users } = await bus.call(contracts.usersResolve, { usernames }, resolveTimeoutMs);
    return { senderIsMember: true, mentions: users.map((u) => u.id).filter((id) => members.includes(id)) };
  } catch (err) {
    logger.warn({ err, conversationId }, 'could not resolve mentions, sending without them');
    return { senderIsMember: true, mentions: [] };
  }
}

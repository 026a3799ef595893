import { DomainError, MemberRemovedV1, contracts, conversationSubject, type User } from '@pneumatic/contracts';
import type { Bus, Logger } from '@pneumatic/platform';
import type { MembershipCache } from '../domain/membership-cache';
import { mentionedUsernames } from '../domain/mentions';

/**
 * Membership belongs to the conversations service: an unknown conversation is a 404, the rest a
 * yes or no. Recent yeses come from the cache, which removal notices keep honest.
 */
export async function isMember(bus: Bus, conversationId: string, userId: string, cache?: MembershipCache): Promise<boolean> {
  if (cache?.isKnownMember(conversationId, userId)) return true;
  const { exists, member } = await bus.call(contracts.conversationsMembership, { conversation_id: conversationId, user_id: userId });
  if (!exists) throw new DomainError('not_found', 'conversation not found');
  if (member) cache?.confirm(conversationId, userId);
  return member;
}

/** Forgets cached memberships as soon as the conversations service announces a removal. */
export function forgetRemovedMembers(bus: Bus, cache: MembershipCache) {
  return bus.subscribe(conversationSubject('*', 'member_removed'), MemberRemovedV1, (event) =>
    cache.forget(event.data.conversation.id, event.data.user_id),
  );
}

const resolveTimeoutMs = 1000;

/** The users known under these (lower-case) names: the messages service's user directory projection. */
export type UsernameDirectory = (usernames: string[]) => Promise<Pick<User, 'id' | 'username'>[]>;

/**
 * The ids of the users named, from the directory first; auth is asked only about names the
 * directory lacks (a signup it has not projected yet). `@bob.` yields both `bob.` and `bob`; once
 * `bob` is found, the punctuated variant needs no question either. If auth does not answer in
 * time, the names the directory knew are still mentioned.
 */
async function resolveMentioned(bus: Bus, logger: Logger, directory: UsernameDirectory, usernames: string[]): Promise<string[]> {
  const known = await directory(usernames);
  const found = new Set(known.map((u) => u.username.toLowerCase()));
  const missing = usernames.filter((name) => !found.has(name) && !found.has(name.replace(/[.-]+$/, '')));
  if (missing.length === 0) return known.map((u) => u.id);
  try {
    const { users } = await bus.call(contracts.usersResolve, { usernames: missing }, resolveTimeoutMs);
    return [...known, ...users].map((u) => u.id);
  } catch (err) {
    logger.warn({ err, names: missing.length }, 'could not resolve some mentions, sending without them');
    return known.map((u) => u.id);
  }
}

/**
 * The sender's membership and the members mentioned as `@username` (non-members are ignored).
 * Mentions are a courtesy: if names cannot be resolved the message goes out without them.
 */
export async function senderAndMentions(
  bus: Bus,
  logger: Logger,
  directory: UsernameDirectory,
  { conversationId, senderId, content }: { conversationId: string; senderId: string; content: string },
  cache?: MembershipCache,
): Promise<{ senderIsMember: boolean; mentions: string[] }> {
  const usernames = mentionedUsernames(content);
  if (usernames.length === 0) return { senderIsMember: await isMember(bus, conversationId, senderId, cache), mentions: [] };
  let members: string[];
  try {
    ({ members } = await bus.call(contracts.conversationsGet, { actor_id: senderId, conversation_id: conversationId }));
  } catch (err) {
    if (err instanceof DomainError && err.code === 'not_a_member') return { senderIsMember: false, mentions: [] };
    throw err;
  }
  try {
    const mentioned = await resolveMentioned(bus, logger, directory, usernames);
    return { senderIsMember: true, mentions: mentioned.filter((id) => members.includes(id)) };
  } catch (err) {
    logger.warn({ err, conversationId }, 'could not resolve mentions, sending without them');
    return { senderIsMember: true, mentions: [] };
  }
}

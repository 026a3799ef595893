import type { Reactions } from './models';

/**
 * Own-property reads and writes of a message's reactions. An emoji is free text, so a plain
 * `reactions[emoji]` finds Object.prototype's `constructor` or `toString` for an emoji of that
 * name, and an assignment to `__proto__` replaces the prototype instead of adding a key.
 */
export function reactionUsers(reactions: Reactions, emoji: string): string[] {
  return Object.hasOwn(reactions, emoji) ? reactions[emoji]! : [];
}

/** The reactions with `userId`'s `emoji` added or removed; an emoji with no users left disappears. */
export function withReaction(reactions: Reactions, emoji: string, userId: string, action: 'add' | 'remove'): Reactions {
  const users = reactionUsers(reactions, emoji);
  if (action === 'add' && users.includes(userId)) return reactions;
  const next = action === 'add' ? [...users, userId] : users.filter((u) => u !== userId);
  const others = Object.entries(reactions).filter(([e]) => e !== emoji);
  // fromEntries defines own properties, `__proto__` included.
  return Object.fromEntries(next.length > 0 ? [...others, [emoji, next]] : others);
}

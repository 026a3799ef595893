import { Message, Reactions } from './models';
import { reactionUsers, withReaction } from './reactions';

const user = '00000000-0000-4000-8000-0000000000a1';
const protoNames = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('reactions named like Object.prototype members', () => {
  it.each(protoNames)('validates and keeps an own %s key, as JSON carries it', (emoji) => {
    const parsed = Reactions.parse(JSON.parse(`{"${emoji}":["${user}"]}`));
    expect(Object.entries(parsed)).toEqual([[emoji, [user]]]);
    expect(Reactions.safeParse(JSON.parse(`{"${emoji}":["not-a-uuid"]}`)).success).toBe(false);
  });

  it('keeps a __proto__ reaction through the Message schema (z.record would drop it)', () => {
    const reactions = JSON.parse(`{"__proto__":["${user}"],"👍":["${user}"]}`);
    expect(Object.keys(Reactions.parse(reactions))).toEqual(['__proto__', '👍']);
    expect(Reactions.safeParse([]).success).toBe(false);
    expect(Reactions.safeParse(null).success).toBe(false);
    expect(Message.shape.reactions).toBe(Reactions);
  });

  it.each(protoNames)('reads no users of %s on a message without it, and adds and removes it as an own key', (emoji) => {
    expect(reactionUsers({}, emoji)).toEqual([]);
    const added = withReaction({}, emoji, user, 'add');
    expect(Object.entries(added)).toEqual([[emoji, [user]]]);
    expect(Object.getPrototypeOf(added)).toBe(Object.prototype);
    expect(withReaction(added, emoji, user, 'add')).toBe(added);
    expect(Object.keys(withReaction(added, emoji, user, 'remove'))).toEqual([]);
  });
});

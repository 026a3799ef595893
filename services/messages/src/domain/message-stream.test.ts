import { DomainError } from '@pneumatic/contracts';
import {
  decide,
  evolve,
  initialMessageStream,
  type MessageCommand,
  type MessageStreamEvent,
  type MessageStreamState,
  type SendMessage,
} from './message-stream';

const now = new Date('2026-01-01T12:00:00.000Z');
const alice = '00000000-0000-4000-8000-0000000000a1';
const bob = '00000000-0000-4000-8000-0000000000b2';
const conversationId = '00000000-0000-4000-8000-0000000000c1';
const firstId = '00000000-0000-4000-8000-000000000001';

const send = (over: Partial<SendMessage> = {}): SendMessage => ({
  type: 'SendMessage',
  id: firstId,
  conversationId,
  clientMessageId: 'client-1',
  actorId: alice,
  actorIsMember: true,
  senderUsername: 'alice',
  content: 'Hi Bob!',
  mentions: [],
  now,
  ...over,
});
const member = { actorIsMember: true, now };
const bounds = { emojiPerMessage: 3, perUser: 2, perMessage: 4 };

/** Runs commands as the store does: decide on the folded state, then fold the new events in. */
function run(commands: MessageCommand[], state: MessageStreamState = initialMessageStream()) {
  const events: MessageStreamEvent[] = [];
  for (const command of commands) {
    const emitted = decide(command, state);
    events.push(...emitted);
    state = emitted.reduce(evolve, state);
  }
  return { state, events };
}
const failure = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a failure');
};

describe('sending', () => {
  it('gives the first message seq 1 and each next one the following seq', () => {
    const { events, state } = run([1, 2, 3, 4, 5].map((i) => send({ id: `00000000-0000-4000-8000-00000000000${i}`, clientMessageId: `m${i}` })));
    expect(events.map((e) => (e.type === 'message.sent' ? e.data.message.seq : 0))).toEqual([1, 2, 3, 4, 5]);
    expect(state.lastSeq).toBe(5);
  });

  it('records the message as sent, with its sender, time and mentions', () => {
    const [event] = decide(send({ mentions: [bob, bob] }), initialMessageStream());
    expect(event).toEqual({
      type: 'message.sent',
      schemaVersion: 1,
      data: {
        message: {
          id: firstId,
          message_id: 'client-1',
          conversation_id: conversationId,
          seq: 1,
          sender_id: alice,
          sender_username: 'alice',
          content: 'Hi Bob!',
          created_at: '2026-01-01T12:00:00.000Z',
          edited_at: null,
          deleted: false,
          reactions: {},
          mentions: [bob],
        },
      },
    });
  });

  it('emits nothing for a retry of the same client message id by the same sender', () => {
    const { state } = run([send()]);
    expect(decide(send({ id: '00000000-0000-4000-8000-000000000002', content: 'changed' }), state)).toEqual([]);
    expect(decide(send({ actorId: bob, id: '00000000-0000-4000-8000-000000000002' }), state)).toHaveLength(1);
  });

  it('refuses a sender who is not a member, and content outside the limits', () => {
    expect(failure(() => decide(send({ actorIsMember: false }), initialMessageStream()))).toEqual(
      new DomainError('not_a_member', 'not a member of this conversation'),
    );
    expect(failure(() => decide(send({ content: '' }), initialMessageStream())).code).toBe('validation_error');
    expect(failure(() => decide(send({ content: 'x'.repeat(4001) }), initialMessageStream())).code).toBe('validation_error');
  });
});

describe('changing a message', () => {
  const sent = () => run([send()]).state;

  it('lets the sender edit and records when', () => {
    const { state, events } = run([{ type: 'EditMessage', messageId: firstId, actorId: alice, content: 'Hi Bob!!', ...member }], sent());
    expect(events).toEqual([
      { type: 'message.edited', schemaVersion: 1, data: { messageId: firstId, content: 'Hi Bob!!', editedAt: now.toISOString(), editedBy: alice } },
    ]);
    expect(state.messages[firstId]).toMatchObject({ content: 'Hi Bob!!', edited_at: now.toISOString() });
  });

  it('refuses an edit or deletion by anyone but the sender', () => {
    for (const type of ['EditMessage', 'DeleteMessage'] as const) {
      const error = failure(() => decide({ type, messageId: firstId, actorId: bob, content: 'mine now', ...member }, sent()));
      expect(error).toEqual(new DomainError('forbidden', 'only the sender can change this message'));
    }
  });

  it('tombstones a deleted message: content gone, and no edit or reaction afterwards', () => {
    const { state } = run([{ type: 'DeleteMessage', messageId: firstId, actorId: alice, ...member }], sent());
    expect(state.messages[firstId]).toMatchObject({ content: '', deleted: true });
    expect(decide({ type: 'DeleteMessage', messageId: firstId, actorId: alice, ...member }, state)).toEqual([]);
    expect(failure(() => decide({ type: 'EditMessage', messageId: firstId, actorId: alice, content: 'back', ...member }, state)).code).toBe(
      'conflict',
    );
    expect(
      failure(() => decide({ type: 'ReactToMessage', messageId: firstId, actorId: bob, emoji: '👍', action: 'add', bounds, ...member }, state)).code,
    ).toBe('conflict');
  });

  it('adds and removes reactions per user, idempotently, dropping an emoji nobody uses', () => {
    const react = (actorId: string, action: 'add' | 'remove') =>
      ({ type: 'ReactToMessage', messageId: firstId, actorId, emoji: '👍', action, bounds, ...member }) as const;
    const both = run([react(alice, 'add'), react(bob, 'add'), react(bob, 'add')], sent());
    expect(both.events).toHaveLength(2);
    expect(both.state.messages[firstId]!.reactions).toEqual({ '👍': [alice, bob] });
    const none = run([react(alice, 'remove'), react(bob, 'remove'), react(bob, 'remove')], both.state);
    expect(none.events).toHaveLength(2);
    expect(none.state.messages[firstId]!.reactions).toEqual({});
  });

  const reaction = (actorId: string, emoji: string, action: 'add' | 'remove' = 'add') =>
    ({ type: 'ReactToMessage', messageId: firstId, actorId, emoji, action, bounds, ...member }) as const;

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('takes an emoji named %s like any other', (emoji) => {
    const added = run([reaction(alice, emoji), reaction(bob, emoji), reaction(bob, emoji)], sent());
    expect(added.events).toHaveLength(2);
    const reactions = added.state.messages[firstId]!.reactions;
    expect(Object.entries(reactions)).toEqual([[emoji, [alice, bob]]]);
    expect(Object.getPrototypeOf(reactions)).toBe(Object.prototype);
    const removed = run([reaction(alice, emoji, 'remove'), reaction(bob, emoji, 'remove'), reaction(bob, emoji, 'remove')], added.state);
    expect(removed.events).toHaveLength(2);
    expect(Object.entries(removed.state.messages[firstId]!.reactions)).toEqual([]);
  });

  it('bounds the distinct emoji on a message, the emoji one user puts on it, and its reactions in all', () => {
    const carol = '00000000-0000-4000-8000-0000000000c3';
    const three = run([reaction(alice, 'a'), reaction(alice, 'b'), reaction(bob, 'c')], sent()).state;
    expect(failure(() => decide(reaction(bob, 'd'), three))).toEqual(
      new DomainError('conflict', 'a message holds at most 3 different reactions'),
    );
    expect(failure(() => decide(reaction(alice, 'c'), three))).toEqual(
      new DomainError('conflict', 'one user may put at most 2 reactions on a message'),
    );
    const four = run([reaction(bob, 'a')], three).state;
    expect(failure(() => decide(reaction(carol, 'a'), four))).toEqual(new DomainError('conflict', 'a message holds at most 4 reactions'));
    // Removing is always allowed, and makes room again.
    const freed = run([reaction(alice, 'a', 'remove'), reaction(carol, 'a')], four);
    expect(freed.state.messages[firstId]!.reactions).toEqual({ a: [bob, carol], b: [alice], c: [bob] });
  });

  it('answers not_found for a message it does not hold', () => {
    expect(failure(() => decide({ type: 'DeleteMessage', messageId: firstId, actorId: alice, ...member }, initialMessageStream())).code).toBe(
      'not_found',
    );
  });
});

describe('read receipts', () => {
  it('moves the cursor forward only, never past the newest message', () => {
    const three = run(['a', 'b', 'c'].map((m, i) => send({ clientMessageId: m, id: `00000000-0000-4000-8000-00000000000${i}` }))).state;
    const read = (seq: number) => ({ type: 'MarkRead', seq, actorId: bob, ...member }) as const;
    const { state, events } = run([read(2), read(1), read(2), read(99)], three);
    expect(events.map((e) => (e.type === 'message.read' ? e.data.seq : 0))).toEqual([2, 3]);
    expect(state.readCursors[bob]).toBe(3);
  });

  it('refuses a reader who is not a member', () => {
    expect(failure(() => decide({ type: 'MarkRead', seq: 1, actorId: bob, actorIsMember: false, now }, initialMessageStream())).code).toBe(
      'not_a_member',
    );
  });
});

import fc from 'fast-check';
import { decide, evolve, type ConversationCommand, type ConversationEvent, type ConversationState } from './conversation';

/** Invariants of the conversation aggregate over arbitrary sequences of membership changes. */
const users = Array.from({ length: 6 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);
const now = new Date('2026-01-01T12:00:00.000Z');
const user = fc.nat(users.length - 1).map((i) => users[i]!);

const command: fc.Arbitrary<ConversationCommand> = fc.oneof(
  fc.record({ actorId: user, userIds: fc.array(user, { minLength: 1, maxLength: 3 }) }).map((d) => ({ type: 'AddMembers' as const, data: { ...d, now } })),
  fc.record({ actorId: user, userId: user }).map((d) => ({ type: 'RemoveMember' as const, data: { ...d, now } })),
  fc.record({ actorId: user, title: fc.constantFrom('A', 'B', '') }).map((d) => ({ type: 'RenameConversation' as const, data: { ...d, now } })),
);

const start = fc.record({
  title: fc.constantFrom('', 'Team'),
  memberIds: fc.array(user, { minLength: 1, maxLength: 4 }),
  kind: fc.constantFrom(undefined, 'group' as const, 'direct' as const),
});

function run(initial: { title: string; memberIds: string[]; kind: 'group' | 'direct' | undefined }, commands: ConversationCommand[]) {
  let state: ConversationState = null;
  try {
    state = decide({ type: 'CreateConversation', data: { conversationId: users[0]!, actorId: users[0]!, title: initial.title, memberIds: initial.memberIds, kind: initial.kind, now } }, null).reduce(evolve, state);
  } catch {
    return [];
  }
  const log: { before: NonNullable<ConversationState>; command: ConversationCommand; events: ConversationEvent[]; after: NonNullable<ConversationState> }[] = [];
  for (const c of commands) {
    let events: ConversationEvent[] = [];
    try {
      events = decide(c, state);
    } catch {
      // refused: nothing stored
    }
    const before: NonNullable<ConversationState> = state!;
    state = events.reduce(evolve, state);
    log.push({ before, command: c, events, after: state! });
  }
  return log;
}

describe('conversation invariants (property-based)', () => {
  it('lets only members change a conversation', () => {
    fc.assert(
      fc.property(start, fc.array(command, { maxLength: 30 }), (initial, commands) => {
        for (const { before, command: c, events } of run(initial, commands)) {
          if (!before.members.includes(c.data.actorId)) expect(events).toEqual([]);
        }
      }),
    );
  });

  it('keeps members distinct, and a direct conversation exactly its pair under its first title', () => {
    fc.assert(
      fc.property(start, fc.array(command, { maxLength: 30 }), (initial, commands) => {
        for (const { after } of run(initial, commands)) {
          expect(new Set(after.members).size).toBe(after.members.length);
          if (after.kind === 'direct') expect(after.members).toHaveLength(2);
          if (after.kind === 'direct') expect(after.title).toBe(initial.title);
        }
      }),
    );
  });
});

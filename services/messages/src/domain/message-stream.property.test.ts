import fc from 'fast-check';
import { decide, evolve, initialMessageStream, type MessageCommand, type MessageStreamEvent, type MessageStreamState } from './message-stream';

/**
 * Invariants of the message stream over arbitrary command sequences: random actors (one of them
 * not a member), retries of client ids, edits, deletions and reactions aimed at any message.
 */
const members = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2'];
const outsider = '00000000-0000-4000-8000-0000000000d4';
const actors = [...members, outsider];
const now = new Date('2026-01-01T12:00:00.000Z');
let nextId = 0;
const newId = () => `00000000-0000-4000-8000-${String(++nextId).padStart(12, '0')}`;

const step = fc.record({
  kind: fc.constantFrom('send', 'send', 'edit', 'delete', 'react', 'read'),
  actor: fc.nat(actors.length - 1),
  clientId: fc.nat(5),
  target: fc.nat(10),
  action: fc.constantFrom('add' as const, 'remove' as const),
  emoji: fc.constantFrom('👍', '🎉'),
  seq: fc.nat(12),
});
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function commandFor(s: Step, state: MessageStreamState): MessageCommand {
  const actorId = actors[s.actor]!;
  const base = { actorId, actorIsMember: members.includes(actorId), now };
  const ids = Object.keys(state.messages);
  const messageId = ids[s.target] ?? newId();
  switch (s.kind) {
    case 'send':
      return { ...base, type: 'SendMessage', id: newId(), conversationId: newId(), clientMessageId: `c${s.clientId}`, senderUsername: 'u', content: `m${s.target}`, mentions: [] };
    case 'edit':
      return { ...base, type: 'EditMessage', messageId, content: `edit ${s.seq}` };
    case 'delete':
      return { ...base, type: 'DeleteMessage', messageId };
    case 'react':
      return { ...base, type: 'ReactToMessage', messageId, emoji: s.emoji, action: s.action, bounds: { emojiPerMessage: 50, perUser: 20, perMessage: 1000 } };
    default:
      return { ...base, type: 'MarkRead', seq: s.seq };
  }
}

/** Runs steps as the store does; a refused command changes nothing. */
function run(steps: Step[]) {
  let state = initialMessageStream();
  const log: { command: MessageCommand; events: MessageStreamEvent[]; before: MessageStreamState }[] = [];
  for (const s of steps) {
    const command = commandFor(s, state);
    const before = state;
    let events: MessageStreamEvent[] = [];
    try {
      events = decide(command, state);
    } catch {
      // refused: nothing stored
    }
    state = events.reduce(evolve, state);
    log.push({ command, events, before });
  }
  return { state, log, events: log.flatMap((l) => l.events) };
}

const steps = fc.array(step, { maxLength: 60 });

describe('message stream invariants (property-based)', () => {
  it('assigns seqs 1, 2, 3, ... with no gap, in order', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const seqs = run(s).events.flatMap((e) => (e.type === 'message.sent' ? [e.data.message.seq] : []));
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }),
    );
  });

  it('treats a send again as a no-op: no event, same state', () => {
    fc.assert(
      fc.property(steps, (s) => {
        for (const { command, events, before } of run(s).log) {
          if (command.type !== 'SendMessage' || events.length === 0) continue;
          const after = events.reduce(evolve, before);
          expect(decide({ ...command, id: newId() }, after)).toEqual([]);
          expect(after.lastSeq).toBe(before.lastSeq + 1);
        }
      }),
    );
  });

  it('stores nothing a non-member asked for', () => {
    fc.assert(
      fc.property(steps, (s) => {
        for (const { command, events } of run(s).log) if (!command.actorIsMember) expect(events).toEqual([]);
      }),
    );
  });

  it('lets only the sender edit or delete a message', () => {
    fc.assert(
      fc.property(steps, (s) => {
        for (const { before, events } of run(s).log) {
          for (const e of events) {
            if (e.type === 'message.edited') expect(e.data.editedBy).toBe(before.messages[e.data.messageId]!.sender_id);
            if (e.type === 'message.deleted') expect(e.data.deletedBy).toBe(before.messages[e.data.messageId]!.sender_id);
          }
        }
      }),
    );
  });

  it('keeps a deleted message deleted: no edit or reaction after, content stays empty', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const { events, state } = run(s);
        const deleted = new Set<string>();
        for (const e of events) {
          if (e.type === 'message.edited' || e.type === 'message.reaction') expect(deleted.has(e.data.messageId)).toBe(false);
          if (e.type === 'message.deleted') deleted.add(e.data.messageId);
        }
        for (const id of deleted) expect(state.messages[id]).toMatchObject({ deleted: true, content: '' });
      }),
    );
  });

  it('moves each read cursor forward only, never past the last seq', () => {
    fc.assert(
      fc.property(steps, (s) => {
        for (const { before, events } of run(s).log) {
          for (const e of events) {
            if (e.type !== 'message.read') continue;
            expect(e.data.seq).toBeGreaterThan(before.readCursors[e.data.userId] ?? 0);
            expect(e.data.seq).toBeLessThanOrEqual(before.lastSeq);
          }
        }
      }),
    );
  });
});

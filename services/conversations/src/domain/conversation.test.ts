import {
  decide,
  directKeyOf,
  evolve,
  type ConversationKind,
  type ConversationState,
  type CreateConversation,
} from './conversation';
import { runCommands } from './run-commands';

const now = new Date('2026-01-01T12:00:00.000Z');
const [alice, bob, carol, dave] = ['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000004'];
const conversationId = 'f0000000-0000-4000-8000-00000000000f';

const create = (title: string, memberIds: string[], kind?: ConversationKind): CreateConversation => ({
  type: 'CreateConversation',
  data: { conversationId, actorId: alice, title, memberIds, now, ...(kind ? { kind } : {}) },
});
/** A group of the caller and one other, which only an explicit kind makes. */
const pairGroup = (title: string) => create(title, [bob], 'group');


const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, detail: (err as Error).message };
  }
  throw new Error('expected a failure');
};

describe('creating a conversation', () => {
  it('emits one created event with the caller as a member', () => {
    const events = decide(create('Team', [bob, carol]), null);
    expect(events).toEqual([
      {
        type: 'conversation.created',
        schemaVersion: 1,
        data: { conversationId, kind: 'group', title: 'Team', members: [alice, bob, carol], createdBy: alice, createdAt: now.toISOString() },
      },
    ]);
  });

  it('adds the caller even when they name only others, and keeps them once when they name themselves', () => {
    expect(runCommands(pairGroup('Team')).state?.members).toEqual([alice, bob]);
    expect(runCommands(create('Team', [bob, alice], 'group')).state?.members).toEqual([alice, bob]);
  });

  it('drops duplicate member ids', () => {
    expect(runCommands(create('Team', [bob, bob, carol, bob])).state?.members).toEqual([alice, bob, carol]);
  });

  it('makes an untitled chat with exactly one other member direct', () => {
    expect(runCommands(create('', [bob])).state?.kind).toBe('direct');
    expect(runCommands(create('   ', [bob, bob, alice])).state?.kind).toBe('direct');
  });

  it('makes a titled chat with exactly one other member direct too, keeping the title it was created with', () => {
    expect(runCommands(create('Bob', [bob])).state).toMatchObject({ kind: 'direct', title: 'Bob', members: [alice, bob] });
  });

  it('makes a group of two only when asked, and a titled chat of one a group', () => {
    expect(runCommands(pairGroup('Pair')).state?.kind).toBe('group');
    expect(runCommands(create('Notes to self', [])).state).toMatchObject({ kind: 'group', members: [alice] });
  });

  it('refuses an untitled group of two', () => {
    expect(failure(() => decide(create('', [bob], 'group'), null))).toEqual({
      code: 'validation_error',
      detail: 'title: a group conversation needs a title',
    });
  });

  it('refuses a direct kind without exactly one other member', () => {
    for (const others of [[], [bob, carol]]) {
      expect(failure(() => decide(create('', others, 'direct'), null))).toEqual({
        code: 'validation_error',
        detail: 'kind: a direct conversation has exactly one other member',
      });
    }
  });

  it('trims the title', () => {
    expect(runCommands(create('  Team  ', [bob, carol])).state?.title).toBe('Team');
  });

  it('refuses a group without a title', () => {
    expect(failure(() => decide(create('', [bob, carol]), null))).toEqual({
      code: 'validation_error',
      detail: 'title: a group conversation needs a title',
    });
  });

  it('refuses the caller alone without a title', () => {
    expect(failure(() => decide(create('', []), null))).toMatchObject({ code: 'validation_error' });
    expect(failure(() => decide(create('', [alice]), null))).toMatchObject({ code: 'validation_error' });
  });

  it('refuses more than 1000 members, counting the caller', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(runCommands(create('Big', ids(999))).state?.members).toHaveLength(1000);
    expect(failure(() => decide(create('Too big', ids(1000)), null))).toMatchObject({
      code: 'validation_error',
      detail: 'member_ids: a group has at most 1000 members',
    });
  });

  it('refuses a title over 200 characters', () => {
    expect(failure(() => decide(create('x'.repeat(201), [bob, carol]), null))).toMatchObject({ code: 'validation_error' });
  });

  it('refuses to create a conversation twice', () => {
    const { state } = runCommands(pairGroup('Team'));
    expect(failure(() => decide(pairGroup('Team'), state))).toMatchObject({ code: 'conflict' });
  });
});

describe('evolving', () => {
  it('reproduces the state from the events alone', () => {
    const { state, events } = runCommands(
      pairGroup('Team'),
      { type: 'AddMembers', data: { actorId: bob, userIds: [carol, dave], now } },
      { type: 'RemoveMember', data: { actorId: alice, userId: carol, now } },
    );
    expect(events.reduce<ConversationState>(evolve, null)).toEqual(state);
    expect(state).toEqual({ id: conversationId, kind: 'group', title: 'Team', members: [alice, bob, dave], createdBy: alice, createdAt: now.toISOString() });
  });
});

describe('adding members', () => {
  const team = runCommands(pairGroup('Team')).state;

  it('adds only people not already there', () => {
    const events = decide({ type: 'AddMembers', data: { actorId: alice, userIds: [bob, carol, carol], now } }, team);
    expect(events).toEqual([
      { type: 'conversation.members_added', schemaVersion: 1, data: { conversationId, userIds: [carol], addedBy: alice, addedAt: now.toISOString() } },
    ]);
  });

  it('treats adding existing members as a retry', () => {
    expect(decide({ type: 'AddMembers', data: { actorId: alice, userIds: [bob], now } }, team)).toEqual([]);
  });

  it('refuses a direct conversation, a non-member caller and an unknown conversation', () => {
    const direct = runCommands(create('', [bob])).state;
    const add = (actorId: string) => ({ type: 'AddMembers' as const, data: { actorId, userIds: [carol], now } });
    expect(failure(() => decide(add(alice), direct))).toMatchObject({ code: 'validation_error' });
    expect(failure(() => decide(add(carol), team))).toMatchObject({ code: 'not_a_member' });
    expect(failure(() => decide(add(alice), null))).toMatchObject({ code: 'not_found' });
  });
});

describe('removing a member', () => {
  const team = runCommands(create('Team', [bob, carol])).state;

  it('lets a member leave or remove another', () => {
    expect(decide({ type: 'RemoveMember', data: { actorId: bob, userId: bob, now } }, team)).toHaveLength(1);
    expect(decide({ type: 'RemoveMember', data: { actorId: alice, userId: carol, now } }, team)).toHaveLength(1);
  });

  it('treats removing someone already gone as a retry', () => {
    expect(decide({ type: 'RemoveMember', data: { actorId: alice, userId: dave, now } }, team)).toEqual([]);
  });

  it('refuses a non-member caller and a direct conversation', () => {
    const direct = runCommands(create('', [bob])).state;
    expect(failure(() => decide({ type: 'RemoveMember', data: { actorId: dave, userId: bob, now } }, team))).toMatchObject({ code: 'not_a_member' });
    expect(failure(() => decide({ type: 'RemoveMember', data: { actorId: alice, userId: alice, now } }, direct))).toMatchObject({
      code: 'validation_error',
    });
  });
});

describe('renaming', () => {
  const team = runCommands(pairGroup('Team')).state;
  const rename = (actorId: string, title: string) => ({ type: 'RenameConversation' as const, data: { actorId, title, now } });

  it('lets a member rename a group, trimming the title', () => {
    const { state, events } = runCommands(pairGroup('Team'), rename(bob, '  Core team '));
    expect(events[1]).toEqual({
      type: 'conversation.renamed',
      schemaVersion: 1,
      data: { conversationId, title: 'Core team', renamedBy: bob, renamedAt: now.toISOString() },
    });
    expect(state?.title).toBe('Core team');
  });

  it('treats the same title as a retry', () => {
    expect(decide(rename(alice, 'Team'), team)).toEqual([]);
  });

  it('refuses a direct conversation, an empty title and a non-member', () => {
    const direct = runCommands(create('', [bob])).state;
    expect(failure(() => decide(rename(alice, 'Pair'), direct))).toMatchObject({ code: 'validation_error' });
    expect(failure(() => decide(rename(alice, '   '), team))).toMatchObject({ code: 'validation_error' });
    expect(failure(() => decide(rename(carol, 'Mine'), team))).toMatchObject({ code: 'not_a_member' });
  });
});

describe('direct key', () => {
  it('is the same for a pair in either order', () => {
    expect(directKeyOf([bob, alice])).toBe(`${alice}:${bob}`);
    expect(directKeyOf([alice, bob])).toBe(directKeyOf([bob, alice]));
  });
});

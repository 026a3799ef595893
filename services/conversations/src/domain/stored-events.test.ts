import { RelayedConversationEvent } from '@pneumatic/contracts';
import type { ConversationCommand } from './conversation';
import { runCommands } from './run-commands';

const now = new Date('2026-01-01T12:00:00.000Z');
const [alice, bob, carol] = ['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003'];
const conversationId = 'f0000000-0000-4000-8000-00000000000f';

/** Every command the decider takes, in an order where each changes something. */
const commands: ConversationCommand[] = [
  { type: 'CreateConversation', data: { conversationId, actorId: alice, title: 'Team', memberIds: [bob], now, kind: 'group' } },
  { type: 'AddMembers', data: { actorId: alice, userIds: [carol], now } },
  { type: 'RemoveMember', data: { actorId: alice, userId: carol, now } },
  { type: 'RenameConversation', data: { actorId: alice, title: 'Team, renamed', now } },
];

/**
 * What the relay publishes for each stored event must pass the contracts' schema for it
 * (libs/contracts asyncapi.ts), or consumers and AsyncAPI readers drop or misdescribe it: an event
 * the decider emits without a schema fails here.
 */
describe('stored conversation events match their contracts', () => {
  const emitted = runCommands(...commands).events;

  it('covers every event type the decider emits', () => {
    expect(new Set(emitted.map((e) => e.type))).toEqual(
      new Set(['conversation.created', 'conversation.members_added', 'conversation.member_removed', 'conversation.renamed']),
    );
  });

  it.each(emitted.map((e, i) => [e.type, e, i + 1] as const))('%s, as relayed, passes its schema', (_type, event, version) => {
    const relayed = {
      id: '9e000000-0000-4000-8000-000000000000',
      type: event.type,
      version: event.schemaVersion,
      time: now.toISOString(),
      stream_id: conversationId,
      stream_version: version,
      data: event.data,
      metadata: {},
    };
    expect(RelayedConversationEvent.safeParse(relayed).error).toBeUndefined();
  });
});

import type { StoredEvent } from '@pneumatic/platform';
import { evolve, type ConversationEvent } from './conversation';
import { upcast } from './upcast';

const [alice, bob] = ['a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002'];
const v0 = (title: string, members: string[]): StoredEvent => ({
  eventId: 'e0000000-0000-4000-8000-000000000001',
  streamId: 'f0000000-0000-4000-8000-00000000000f',
  streamVersion: 1,
  type: 'conversation.created',
  schemaVersion: 0,
  data: { conversationId: 'f0000000-0000-4000-8000-00000000000f', title, members, createdBy: alice, createdAt: '2025-01-01T00:00:00.000Z' },
  metadata: {},
  createdAt: new Date('2025-01-01T00:00:00.000Z'),
});

describe('upcasting stored conversation events', () => {
  it('rewrites a v0 creation (no kind) to v1, deriving the kind as v0 did', () => {
    const direct = upcast(v0('', [alice, bob]));
    expect(direct).toMatchObject({ schemaVersion: 1, data: { kind: 'direct', title: '', members: [alice, bob] } });
    expect(upcast(v0('Team', [alice, bob])).data).toMatchObject({ kind: 'group' });
    expect(evolve(null, direct as unknown as ConversationEvent)).toMatchObject({ kind: 'direct', members: [alice, bob] });
  });

  it('leaves a v1 event untouched', () => {
    const v1 = { ...v0('Team', [alice]), schemaVersion: 1 };
    expect(upcast(v1)).toBe(v1);
  });
});

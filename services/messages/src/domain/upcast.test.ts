import type { StoredEvent } from '@pneumatic/platform';
import { upcast } from './upcast';

const stored = (schemaVersion: number, data: unknown): StoredEvent => ({
  eventId: '00000000-0000-4000-8000-0000000000e1',
  streamId: '00000000-0000-4000-8000-0000000000c1',
  streamVersion: 1,
  type: 'message.sent',
  schemaVersion,
  data,
  metadata: {},
  createdAt: new Date('2025-06-01T00:00:00.000Z'),
});

describe('upcasting stored events', () => {
  it('rewrites a v0 message.sent (flat, without edits, reactions or mentions) to v1', () => {
    const v0 = stored(0, {
      id: '00000000-0000-4000-8000-000000000001',
      client_message_id: 'c-1',
      conversation_id: '00000000-0000-4000-8000-0000000000c1',
      seq: 7,
      sender_id: '00000000-0000-4000-8000-0000000000a1',
      sender_username: 'alice',
      content: 'old times',
      created_at: '2025-06-01T00:00:00.000Z',
    });
    expect(upcast(v0)).toEqual({
      ...v0,
      schemaVersion: 1,
      data: {
        message: {
          id: '00000000-0000-4000-8000-000000000001',
          message_id: 'c-1',
          conversation_id: '00000000-0000-4000-8000-0000000000c1',
          seq: 7,
          sender_id: '00000000-0000-4000-8000-0000000000a1',
          sender_username: 'alice',
          content: 'old times',
          created_at: '2025-06-01T00:00:00.000Z',
          edited_at: null,
          deleted: false,
          reactions: {},
          mentions: [],
        },
      },
    });
  });

  it('leaves a current event as it is', () => {
    const v1 = stored(1, { message: { id: 'x' } });
    expect(upcast(v1)).toBe(v1);
  });
});

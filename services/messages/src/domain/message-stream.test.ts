import { DomainError } from '@pneumatic/contracts';
import { decide, evolve, initialMessageStream, type SendMessage } from './message-stream';

const send = (over: Partial<SendMessage> = {}): SendMessage => ({
  type: 'SendMessage',
  id: '00000000-0000-4000-8000-000000000001',
  conversationId: '00000000-0000-4000-8000-0000000000c1',
  clientMessageId: 'client-1',
  senderId: '00000000-0000-4000-8000-0000000000a1',
  senderUsername: 'alice',
  content: 'Hi Bob!',
  senderIsMember: true,
  now: new Date('2026-01-01T12:00:00.000Z'),
  ...over,
});

describe('message stream decider', () => {
  it('gives the first message seq 1 and each next one the following seq', () => {
    let state = initialMessageStream;
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [event] = decide(send({ clientMessageId: `m${i}` }), state);
      seqs.push(event!.data.message.seq);
      state = evolve(state, event!);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(state.lastSeq).toBe(5);
  });

  it('records the message as sent, with its sender and time', () => {
    const [event] = decide(send(), initialMessageStream);
    expect(event).toMatchObject({
      type: 'message.sent',
      schemaVersion: 1,
      data: {
        message: {
          message_id: 'client-1',
          sender_username: 'alice',
          content: 'Hi Bob!',
          created_at: '2026-01-01T12:00:00.000Z',
          deleted: false,
        },
      },
    });
  });

  it('refuses a sender who is not a member', () => {
    expect(() => decide(send({ senderIsMember: false }), initialMessageStream)).toThrow(
      new DomainError('not_a_member', 'not a member of this conversation'),
    );
  });
});

import { DomainError, type Message } from '@pneumatic/contracts';
import type { NewEvent } from '@pneumatic/platform';

/**
 * The decider for one conversation's message stream. The state a decision needs is small:
 * the last assigned `seq`, so the next message gets the next one with no gap.
 */
export interface MessageStreamState {
  lastSeq: number;
}

export const initialMessageStream: MessageStreamState = { lastSeq: 0 };

export interface SendMessage {
  type: 'SendMessage';
  id: string;
  conversationId: string;
  clientMessageId: string;
  senderId: string;
  senderUsername: string;
  content: string;
  senderIsMember: boolean;
  now: Date;
}

export type MessageSent = NewEvent<'message.sent', { message: Message }>;
export type MessageStreamEvent = MessageSent;

export function decide(command: SendMessage, state: MessageStreamState): MessageStreamEvent[] {
  if (!command.senderIsMember) throw new DomainError('not_a_member', 'not a member of this conversation');
  return [
    {
      type: 'message.sent',
      schemaVersion: 1,
      data: {
        message: {
          id: command.id,
          message_id: command.clientMessageId,
          conversation_id: command.conversationId,
          seq: state.lastSeq + 1,
          sender_id: command.senderId,
          sender_username: command.senderUsername,
          content: command.content,
          created_at: command.now.toISOString(),
          edited_at: null,
          deleted: false,
          reactions: {},
          mentions: [],
        },
      },
    },
  ];
}

export function evolve(state: MessageStreamState, event: MessageStreamEvent): MessageStreamState {
  switch (event.type) {
    case 'message.sent':
      return { ...state, lastSeq: event.data.message.seq };
  }
}

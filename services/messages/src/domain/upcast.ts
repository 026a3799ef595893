import type { Message } from '@pneumatic/contracts';
import { upcastWith } from '@pneumatic/platform';

/** The first prototype stored a flat message, without edits, reactions or mentions. */
interface MessageSentV0 {
  id: string;
  client_message_id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  sender_username: string;
  content: string;
  created_at: string;
}

/** Applied to every stored event of a message stream before it is decided on or projected. */
export const upcast = upcastWith({
  'message.sent@0': (event) => {
    const v0 = event.data as MessageSentV0;
    const message: Message = {
      id: v0.id,
      message_id: v0.client_message_id,
      conversation_id: v0.conversation_id,
      seq: v0.seq,
      sender_id: v0.sender_id,
      sender_username: v0.sender_username,
      content: v0.content,
      created_at: v0.created_at,
      edited_at: null,
      deleted: false,
      reactions: {},
      mentions: [],
    };
    return { ...event, schemaVersion: 1, data: { message } };
  },
});

import { upcastWith } from '@pneumatic/platform';

/** The first prototype did not store `kind`: an untitled pair was a direct chat, anything else a group. */
interface ConversationCreatedV0 {
  conversationId: string;
  title: string;
  members: string[];
  createdBy: string;
  createdAt: string;
}

/** Applied to every stored event of a conversation stream before it is folded. */
export const upcast = upcastWith({
  'conversation.created@0': (event) => {
    const v0 = event.data as ConversationCreatedV0;
    const kind = !v0.title && v0.members.length === 2 ? 'direct' : 'group';
    return { ...event, schemaVersion: 1, data: { ...v0, kind } };
  },
});

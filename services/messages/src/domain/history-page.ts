import type { Message } from '@pneumatic/contracts';

/**
 * A history page bounded in count and in bytes. `read` holds up to `limit + 1` messages in the
 * order they were read: newest first for a page ending at the newest or at a `before_seq`, oldest
 * first after an `after_seq`. The page keeps the front of that order (the messages nearest the
 * cursor) and stops before passing `maxBytes` of JSON, so a cut page is still contiguous from its
 * cursor and the next page (by the same cursor rule) goes on where it stopped. The first message
 * is always kept, so every page moves on; one message is bounded far below any budget (docs/protocol.md, Limits).
 */
export function historyPage(read: Message[], limit: number, maxBytes: number): { messages: Message[]; has_more: boolean } {
  const messages: Message[] = [];
  let bytes = 0;
  for (const message of read.slice(0, limit)) {
    // The comma that separates it from the previous one counts too.
    bytes += Buffer.byteLength(JSON.stringify(message)) + 1;
    if (messages.length > 0 && bytes > maxBytes) break;
    messages.push(message);
  }
  return { messages, has_more: read.length > messages.length };
}

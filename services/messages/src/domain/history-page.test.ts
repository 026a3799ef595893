import type { Message } from '@pneumatic/contracts';
import { historyPage } from './history-page';

const message = (seq: number, content: string): Message => ({
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  message_id: `m${seq}`,
  conversation_id: '00000000-0000-4000-8000-0000000000c1',
  seq,
  sender_id: '00000000-0000-4000-8000-0000000000a1',
  sender_username: 'alice',
  content,
  created_at: '2026-01-01T12:00:00.000Z',
  edited_at: null,
  deleted: false,
  reactions: {},
  mentions: [],
});
const bytesOf = (m: Message) => Buffer.byteLength(JSON.stringify(m)) + 1;
// 4,000 control characters: 24,000 bytes as JSON.
const heavy = '\u0001'.repeat(4000);

describe('a history page bounded in bytes', () => {
  it('keeps the messages nearest the cursor while they fit, and says there are more', () => {
    const newestFirst = [10, 9, 8, 7, 6].map((seq) => message(seq, heavy));
    const budget = 3 * bytesOf(newestFirst[0]!);
    const page = historyPage(newestFirst, 4, budget);
    expect(page.messages.map((m) => m.seq)).toEqual([10, 9, 8]);
    expect(page.has_more).toBe(true);
  });

  it('stops at `limit` first when the messages are small, with has_more from the extra row', () => {
    const read = [1, 2, 3, 4].map((seq) => message(seq, 'hi'));
    expect(historyPage(read, 3, 1024 * 1024)).toEqual({ messages: read.slice(0, 3), has_more: true });
    expect(historyPage(read.slice(0, 3), 3, 1024 * 1024)).toEqual({ messages: read.slice(0, 3), has_more: false });
  });

  it('always keeps the first message, so paging moves on even under a tiny budget', () => {
    const read = [message(1, heavy), message(2, heavy)];
    expect(historyPage(read, 50, 10)).toEqual({ messages: [read[0]], has_more: true });
  });

  it('counts bytes as JSON: 50 messages of 4,000 control characters stay under the budget', () => {
    const read = Array.from({ length: 51 }, (_, i) => message(51 - i, heavy));
    const budget = 256 * 1024;
    const page = historyPage(read, 50, budget);
    expect(page.has_more).toBe(true);
    expect(page.messages.length).toBeLessThan(50);
    expect(Buffer.byteLength(JSON.stringify(page.messages))).toBeLessThanOrEqual(budget);
    expect(Buffer.byteLength(JSON.stringify([...page.messages, read[page.messages.length]]))).toBeGreaterThan(budget);
  });
});

import type { Message } from '@pneumatic/contracts';
import { ConversationFeed } from './conversation-feed';

const msg = (seq: number) => ({ seq, id: `m${seq}` }) as unknown as Message;
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe('conversation feed', () => {
  it('delivers in-order messages at once, starting from the first one it sees', () => {
    const feed = new ConversationFeed();
    expect(seqs(feed.offer(msg(4)).deliver)).toEqual([4]);
    expect(seqs(feed.offer(msg(5)).deliver)).toEqual([5]);
  });

  it('drops a message it already delivered', () => {
    const feed = new ConversationFeed(3);
    feed.offer(msg(4));
    expect(feed.offer(msg(4))).toEqual({ deliver: [], gapAfter: undefined });
    expect(feed.offer(msg(2)).deliver).toEqual([]);
  });

  it('holds back messages after a gap and reports where the gap starts', () => {
    const feed = new ConversationFeed(1);
    expect(feed.offer(msg(4))).toEqual({ deliver: [], gapAfter: 1 });
    expect(feed.offer(msg(3))).toEqual({ deliver: [], gapAfter: 1 });
    expect(seqs(feed.offer(msg(2)).deliver)).toEqual([2, 3, 4]);
    expect(feed.lastSeq).toBe(4);
  });

  it('bounds what it holds back', () => {
    const feed = new ConversationFeed(0, 2);
    feed.offer(msg(5));
    feed.offer(msg(6));
    feed.offer(msg(7));
    expect(seqs(feed.offer(msg(1)).deliver)).toEqual([1]);
  });
});

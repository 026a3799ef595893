/** Where a conversation's message stream ended when this process last wrote or read it. */
export interface StreamTip {
  version: number;
  lastSeq: number;
}

/**
 * The tips of recently written conversations, so a batch of sends can be stored in one statement
 * without locking and reading first. A tip may be stale (another replica wrote since): the append
 * then fails as a whole and the careful path, which locks and reads, takes over and refreshes it.
 * Bounded: past `maxEntries` the least recently used tip is forgotten.
 */
export class StreamTips {
  private readonly tips = new Map<string, StreamTip>();

  constructor(private readonly maxEntries = 100_000) {}

  get(conversationId: string): StreamTip | undefined {
    return this.tips.get(conversationId);
  }

  /** Records a tip read or written under the stream's lock; an older one never replaces a newer. */
  set(conversationId: string, tip: StreamTip): void {
    const known = this.tips.get(conversationId);
    if (known && known.version > tip.version) return;
    this.tips.delete(conversationId);
    // Maps keep insertion order, so the first key is the least recently set.
    if (this.tips.size >= this.maxEntries) this.tips.delete(this.tips.keys().next().value!);
    this.tips.set(conversationId, tip);
  }

  /**
   * A write that moved the stream from `from` to `to` without sending (an edit, a read receipt):
   * the tip follows it if it was current, and is forgotten if it was not.
   */
  moved(conversationId: string, from: number, to: number): void {
    const known = this.tips.get(conversationId);
    if (!known) return;
    if (known.version === from) this.tips.set(conversationId, { ...known, version: to });
    else this.tips.delete(conversationId);
  }

  forget(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) this.tips.delete(id);
  }
}

import type { Message } from '@pneumatic/contracts';

/**
 * Orders one conversation's messages for a gateway: each `seq` is delivered once and in order.
 * Realtime copies may arrive late, twice or not at all; a gap holds later messages back until
 * the missing ones are fetched from history.
 */
export class ConversationFeed {
  private lastDelivered: number | undefined;
  private readonly pending = new Map<number, Message>();

  constructor(
    lastDelivered?: number,
    private readonly maxPending = 1000,
  ) {
    this.lastDelivered = lastDelivered;
  }

  get lastSeq(): number | undefined {
    return this.lastDelivered;
  }

  /** Offers a message; returns what can be delivered now, in order, and whether a gap needs filling. */
  offer(message: Message): { deliver: Message[]; gapAfter: number | undefined } {
    if (this.lastDelivered === undefined) this.lastDelivered = message.seq - 1;
    // When full, only the message that closes the gap gets in; the rest are refetched from history.
    const next = message.seq === this.lastDelivered + 1;
    if (message.seq > this.lastDelivered && (next || this.pending.size < this.maxPending)) this.pending.set(message.seq, message);
    const deliver: Message[] = [];
    for (let next = this.pending.get(this.lastDelivered + 1); next; next = this.pending.get(this.lastDelivered + 1)) {
      this.pending.delete(next.seq);
      this.lastDelivered = next.seq;
      deliver.push(next);
    }
    return { deliver, gapAfter: this.pending.size > 0 ? this.lastDelivered : undefined };
  }
}

/**
 * The bookkeeping that makes a run trustworthy: every message sent, acknowledged and delivered
 * to each socket that should receive it, so loss and duplication are counted, never assumed.
 */
export class DeliveryLedger {
  sent = 0;
  acknowledged = 0;
  delivered = 0;
  duplicated = 0;
  expected = 0;
  readonly rejected = new Map<string, number>();
  private readonly seen = new Map<string, Set<number>>();
  private readonly expectedBy = new Map<string, number>();

  /** A message was sent and `audience` sockets (the sender's included) should receive it. */
  recordSent(messageId: string, audience: number): void {
    this.sent++;
    this.expectedBy.set(messageId, audience);
  }

  recordAcknowledged(): void {
    this.acknowledged++;
  }

  /** The server refused a send with a documented error code; nobody should receive it. */
  recordRejected(messageId: string, code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
    this.expectedBy.delete(messageId);
  }

  /** Returns true for a first delivery of this message to this socket. */
  recordDelivered(messageId: string, socketId: number): boolean {
    let sockets = this.seen.get(messageId);
    if (!sockets) this.seen.set(messageId, (sockets = new Set()));
    if (sockets.has(socketId)) {
      this.duplicated++;
      return false;
    }
    sockets.add(socketId);
    this.delivered++;
    return true;
  }

  /** Deliveries of accepted messages still missing. */
  outstanding(): number {
    let missing = 0;
    for (const [id, audience] of this.expectedBy) missing += Math.max(0, audience - (this.seen.get(id)?.size ?? 0));
    return missing;
  }

  totals() {
    let expected = 0;
    for (const audience of this.expectedBy.values()) expected += audience;
    const deliveredOfAccepted = [...this.expectedBy.keys()].reduce((n, id) => n + (this.seen.get(id)?.size ?? 0), 0);
    return {
      sent: this.sent,
      acknowledged: this.acknowledged,
      rejected: Object.fromEntries(this.rejected),
      expected,
      delivered: deliveredOfAccepted,
      lost: expected - deliveredOfAccepted,
      duplicated: this.duplicated,
    };
  }
}

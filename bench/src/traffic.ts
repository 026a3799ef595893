import { randomUUID } from 'node:crypto';
import type { Frame } from './client';
import { DeliveryLedger } from './ledger';
import type { Member, Room } from './population';
import { Samples } from './stats';

type Outcome = 'acknowledged' | string;

/**
 * Sends messages into rooms and watches every member socket: each delivery is checked off in the
 * ledger and timed from send to receipt (the sender's own echo included).
 */
export class Traffic {
  readonly ledger = new DeliveryLedger();
  readonly latency = new Samples();
  private readonly sentAt = new Map<string, number>();
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();
  private readonly retryable = new Set(['rate_limited', 'overloaded', 'unavailable']);

  constructor(rooms: Room[]) {
    for (const room of rooms) for (const member of room.members) member.socket.onFrame = (frame) => this.receive(frame, member);
  }

  /** Sends one message; resolves when the sender's echo arrives or the server refuses it. */
  send(member: Member, room: Room): Promise<Outcome> {
    const id = randomUUID();
    this.ledger.recordSent(id, room.members.length);
    this.sentAt.set(id, performance.now());
    const outcome = new Promise<Outcome>((resolve) => this.waiting.set(id, resolve));
    member.socket.sendMessage(room.conversationId, `load ${id.slice(0, 8)}`, id);
    return outcome;
  }

  isRetryable(code: string): boolean {
    return this.retryable.has(code);
  }

  /** Waits until every accepted message reached every member socket, or the bound passes. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ledger.outstanding() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private receive(frame: Frame, member: Member): void {
    if (frame.type === 'message') {
      const message = frame.message as { message_id: string; sender_id: string };
      const first = this.ledger.recordDelivered(message.message_id, member.socket.id);
      const sentAt = this.sentAt.get(message.message_id);
      if (first && sentAt !== undefined) this.latency.add(performance.now() - sentAt);
      if (message.sender_id === member.userId) this.settle(message.message_id, 'acknowledged');
    } else if (frame.type === 'error' && typeof frame.ref === 'string') {
      this.ledger.recordRejected(frame.ref, String(frame.code));
      this.settle(frame.ref, String(frame.code));
    }
  }

  private settle(id: string, outcome: Outcome): void {
    const resolve = this.waiting.get(id);
    if (!resolve) return;
    this.waiting.delete(id);
    if (outcome === 'acknowledged') this.ledger.recordAcknowledged();
    resolve(outcome);
  }
}

/**
 * A steady live conversation used as a yardstick: each user's socket sends a message every
 * `intervalMs` on a fixed schedule (an open loop: a slow reply does not slow the pace), and every
 * other member's socket records how long after its send it arrived. Sends and receipts are timed
 * by this process's clock, so a sample is the whole client-to-client delivery.
 */
import { performance } from 'node:perf_hooks';
import { TestSocket } from '@pneumatic/testkit';
import type { ChatUser } from './chat-client';

export interface DeliverySample {
  /** performance.now() of the send. */
  sentAt: number;
  latencyMs: number;
}

type MessageFrame = { type: string; code?: string; message?: { message_id: string; conversation_id: string; sender_id: string } };

export class LivePulse {
  readonly samples: DeliverySample[] = [];
  /** Answers other than delivery (e.g. `rate_limited`), by code. */
  readonly errors = new Map<string, number>();
  private readonly sentAt = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];

  private constructor(private readonly sockets: TestSocket[]) {}

  static async start(wsUrl: string, users: ChatUser[], conversationId: string, intervalMs: number): Promise<LivePulse> {
    const sockets = await Promise.all(users.map((u) => TestSocket.open(`${wsUrl}/ws?token=${u.token}`)));
    const pulse = new LivePulse(sockets);
    sockets.forEach((socket, i) => pulse.listen(socket, users[i]!, conversationId));
    sockets.forEach((socket, i) => {
      let n = 0;
      // Spread the senders over the interval, so sends do not come in bursts.
      const first = setTimeout(() => {
        const send = () => {
          const messageId = `pulse.${i}.${++n}`;
          pulse.sentAt.set(messageId, performance.now());
          socket.send({ type: 'message', conversation_id: conversationId, message_id: messageId, content: `pulse ${n} from ${i}` });
        };
        send();
        pulse.timers.push(setInterval(send, intervalMs));
      }, (intervalMs * i) / users.length);
      pulse.timers.push(first);
    });
    return pulse;
  }

  /** Deliveries of messages sent in [from, to) (performance.now() times). */
  between(from: number, to: number): number[] {
    return this.samples.filter((s) => s.sentAt >= from && s.sentAt < to).map((s) => s.latencyMs);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.close();
  }

  private listen(socket: TestSocket, user: ChatUser, conversationId: string): void {
    socket.ws.on('message', (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString()) as MessageFrame;
      if (frame.type === 'error') this.errors.set(frame.code ?? '?', (this.errors.get(frame.code ?? '?') ?? 0) + 1);
      const m = frame.message;
      if (frame.type !== 'message' || !m || m.conversation_id !== conversationId || m.sender_id === user.id) return;
      const sentAt = this.sentAt.get(m.message_id);
      if (sentAt !== undefined) this.samples.push({ sentAt, latencyMs: at - sentAt });
    });
  }
}

import { randomUUID } from 'node:crypto';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';

type Transport = Pick<NatsConnection, 'subscribe' | 'publish'>;

/** Why a request got no answer: nobody listens on its subject, or nobody answered in time. */
export class NoReply extends Error {
  constructor(
    readonly reason: 'no_responders' | 'timeout',
    subject: string,
  ) {
    super(`${reason === 'timeout' ? 'no reply in time' : 'no responders'} on ${subject}`);
  }
}

interface Waiting {
  subject: string;
  timer: NodeJS.Timeout;
  resolve(msg: Msg): void;
  reject(err: Error): void;
}

/**
 * Request/reply over one wildcard inbox subscription per connection, as nats.js's `request` does,
 * except that nats.js also builds an error object (stack trace included) for every request it
 * completes, a few percent of a busy gateway's CPU. A 503 status with no body is NATS telling the
 * requester that nothing subscribes to the subject.
 */
export class ReplyInbox {
  private readonly prefix = `_INBOX.${randomUUID().replace(/-/g, '')}.`;
  private readonly waiting = new Map<number, Waiting>();
  private next = 0;
  private subscription?: Subscription;

  constructor(private readonly nc: Transport) {}

  request(subject: string, data: Uint8Array, options: { timeoutMs: number; headers?: MsgHdrs }): Promise<Msg> {
    this.subscription ??= this.nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => err || this.answer(msg) });
    const token = ++this.next;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(token, new NoReply('timeout', subject)), options.timeoutMs);
      this.waiting.set(token, { subject, timer, resolve, reject });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}${token}`, headers: options.headers });
      } catch (err) {
        this.settle(token, err as Error);
      }
    });
  }

  /** Requests still waiting for their answer. */
  get pending(): number {
    return this.waiting.size;
  }

  private answer(msg: Msg): void {
    const token = Number(msg.subject.slice(this.prefix.length));
    const noResponders = msg.data.length === 0 && msg.headers?.code === 503;
    this.settle(token, noResponders ? new NoReply('no_responders', this.waiting.get(token)?.subject ?? msg.subject) : msg);
  }

  /** Ends a request once: an answer arriving after its timeout finds nothing waiting. */
  private settle(token: number, outcome: Msg | Error): void {
    const waiting = this.waiting.get(token);
    if (!waiting) return;
    this.waiting.delete(token);
    clearTimeout(waiting.timer);
    if (outcome instanceof Error) waiting.reject(outcome);
    else waiting.resolve(outcome);
  }
}

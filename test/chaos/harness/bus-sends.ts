/**
 * Messages sent straight to the messages service over NATS (`messages.send`, as a gateway sends
 * them), many at once: the fastest honest way to give a conversation a long history. Every send
 * goes through the service's decider, group commit and history projection like any other; only the
 * gateways are left out. A retryable answer is retried with the same message_id.
 */
import { DomainError, contracts } from '@pneumatic/contracts';
import { Bus, createLogger, createMetrics } from '@pneumatic/platform';
import { closedLoop } from './closed-loop';
import type { PlannedSend } from './http-sends';

/** StackUnderTest runs the services with NATS_SUBJECT_PREFIX=chaos. */
const prefix = 'chaos';
const retryable = new Set(['overloaded', 'unavailable']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends everything over `bus` with `concurrency` in flight. */
export function sendOverBus(bus: Bus, sends: PlannedSend[], concurrency: number): Promise<void> {
  return closedLoop(sends, concurrency, async ({ sender, conversationId, messageId, content }) => {
    const request = { actor_id: sender.id, sender_username: sender.username, conversation_id: conversationId, message_id: messageId, content };
    for (let attempt = 0; ; attempt++) {
      try {
        return void (await bus.call(contracts.messagesSend, request));
      } catch (err) {
        if (!(err instanceof DomainError && retryable.has(err.code)) || attempt > 50) throw err;
        await sleep(Math.min(20 * 2 ** attempt, 500));
      }
    }
  });
}

/** The chaos stack's bus, for the duration of `use`. */
export async function withChaosBus<T>(natsUrl: string, use: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await Bus.connect({ url: natsUrl, prefix, name: 'chaos-filler', logger: createLogger('chaos-filler', 'silent'), metrics: createMetrics('chaos-filler') });
  try {
    return await use(bus);
  } finally {
    await bus.close();
  }
}

/**
 * Messages sent over HTTP (POST /conversations/{id}/messages), many at once: how the scale-out
 * suites fill a conversation fast or drive traffic without holding a socket on any gateway (an HTTP
 * send subscribes the gateway to nothing). A send is retried with the same message_id on a
 * retryable answer or a lost connection, as API.md asks, so each lands exactly once.
 */
import type { ChatUser } from './chat-client';
import { closedLoop } from './closed-loop';

/** One message to send: by whom, where, with which client message_id. */
export interface PlannedSend {
  sender: ChatUser;
  conversationId: string;
  messageId: string;
  content: string;
}

const retryable = new Set([429, 503]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function postMessage(api: string, { sender, conversationId, messageId, content }: PlannedSend, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${api}/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sender.token}` },
      body: JSON.stringify({ message_id: messageId, content }),
    }).catch(() => undefined);
    if (res?.status === 200 || res?.status === 201) return void (await res.arrayBuffer());
    const detail = res ? `${res.status} ${await res.text()}` : 'connection failed';
    if ((res && !retryable.has(res.status)) || Date.now() > deadline) throw new Error(`send ${messageId}: ${detail}`);
    await sleep(Math.min(50 * 2 ** attempt, 1000));
  }
}

/** Sends everything with `concurrency` requests in flight, each worker on one of `apis`. */
export function sendAll(apis: string[], sends: PlannedSend[], concurrency: number): Promise<void> {
  return closedLoop(sends, concurrency, (send, w) => postMessage(apis[w % apis.length]!, send));
}

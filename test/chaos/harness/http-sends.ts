/**
 * Messages sent over HTTP (POST /conversations/{id}/messages), many at once: how the scale-out
 * suites fill a conversation fast or drive traffic without holding a socket on any gateway (an HTTP
 * send subscribes the gateway to nothing). A send is retried with the same message_id on a
 * retryable answer or a lost connection, as API.md asks, so each lands exactly once.
 */
import type { ChatUser } from './chat-client';

export interface HttpSend {
  sender: ChatUser;
  conversationId: string;
  messageId: string;
  content: string;
}

const retryable = new Set([429, 503]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function postMessage(api: string, { sender, conversationId, messageId, content }: HttpSend, deadlineMs = 30_000): Promise<void> {
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

/** Sends everything with `concurrency` requests in flight (a closed loop, like the bench's), across `apis` in turn. */
export async function sendAll(apis: string[], sends: HttpSend[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (w: number) => {
    while (next < sends.length) await postMessage(apis[w % apis.length]!, sends[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
}

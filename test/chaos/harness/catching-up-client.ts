/**
 * A client back from an absence: dials, then asks `sync` from a seq page by page, each after the
 * previous answer, until `has_more` is false. It keeps only each message's seq and id, so catching
 * up on ten thousand messages does not grow this process's heap (and its GC pauses) by the pages'
 * weight: the live clients timed in the same process would pay for them.
 */
import { once } from 'node:events';
import WebSocket from 'ws';

export interface Arrival {
  seq: number;
  id: string;
}

interface Frame {
  type: string;
  ref?: string;
  code?: string;
  has_more?: boolean;
  messages?: { seq: number; id: string }[];
  message?: { conversation_id: string };
}

export interface CaughtUp {
  /** Every message of sync pages, in the order they arrived. */
  arrived: Arrival[];
  pages: number;
  /** Live `message` frames of the conversation that came meanwhile. */
  live: number;
  close(): Promise<void>;
}

export async function catchUp(wsUrl: string, token: string, conversationId: string, afterSeq: number, replyTimeoutMs = 10_000): Promise<CaughtUp> {
  const ws = new WebSocket(`${wsUrl}/ws?token=${token}`);
  await once(ws, 'open');
  const result: CaughtUp = {
    arrived: [],
    pages: 0,
    live: 0,
    close: async () => {
      ws.close();
      if (ws.readyState !== WebSocket.CLOSED) await once(ws, 'close');
    },
  };
  let answer: ((frame: Frame) => void) | undefined;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type === 'message' && frame.message?.conversation_id === conversationId) result.live++;
    else if (frame.ref !== undefined) answer?.(frame);
  });
  let after = afterSeq;
  for (let more = true; more; result.pages++) {
    const ref = `catch-up-${result.pages}`;
    const reply = await new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to sync ${ref} within ${replyTimeoutMs} ms`)), replyTimeoutMs);
      answer = (frame) => frame.ref === ref && (clearTimeout(timer), resolve(frame));
      ws.send(JSON.stringify({ type: 'sync', conversation_id: conversationId, after_seq: after, ref }));
    });
    if (reply.type !== 'sync' || !reply.messages) throw new Error(`sync answered ${reply.type} ${reply.code ?? ''}`);
    for (const { seq, id } of reply.messages) result.arrived.push({ seq, id });
    more = reply.has_more === true && reply.messages.length > 0;
    after = reply.messages.at(-1)?.seq ?? after;
  }
  return result;
}

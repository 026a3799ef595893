/**
 * A client back from an absence: dials, then asks `sync` from a seq page by page, each after the
 * previous answer, until `has_more` is false. It keeps only each message's seq and id; run in a
 * process of its own (`catchUpInOwnProcess`) it costs the test process nothing at all.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
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

/** tsc -b compiles test/ here (test/tsconfig.json); `npm run test:chaos` builds first. */
const compiled = path.resolve(__dirname, '..', '..', '..', 'node_modules', '.cache', 'test-dist', 'chaos', 'harness', 'catching-up-client.js');

/** A catch-up timed by the process that did it, in epoch milliseconds. */
export interface TimedCatchUp {
  arrived: Arrival[];
  pages: number;
  live: number;
  dialledAt: number;
  caughtUpAt: number;
}

/**
 * `catchUp` in a process of its own: parsing fifty 100 KB pages and collecting their garbage would
 * otherwise stall the test process, which also times the live clients, and show up as their latency.
 */
export async function catchUpInOwnProcess(wsUrl: string, token: string, conversationId: string, afterSeq: number): Promise<TimedCatchUp> {
  const child = spawn(process.execPath, [compiled, wsUrl, token, conversationId, String(afterSeq)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the catching-up process exited with ${code}`);
  return JSON.parse(output) as TimedCatchUp;
}

if (require.main === module) {
  const [wsUrl, token, conversationId, afterSeq] = process.argv.slice(2) as [string, string, string, string];
  void (async () => {
    const dialledAt = Date.now();
    const caughtUp = await catchUp(wsUrl, token, conversationId, Number(afterSeq));
    const caughtUpAt = Date.now();
    await caughtUp.close();
    const { arrived, pages, live } = caughtUp;
    process.stdout.write(JSON.stringify({ arrived, pages, live, dialledAt, caughtUpAt } satisfies TimedCatchUp));
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export type Frame = { type: string; [key: string]: unknown };

/** The HTTP side of the public API, as any client would use it. */
export class ChatApi {
  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Signs up (or reuses) a user and logs in. */
  async account(username: string, password: string): Promise<{ id: string; token: string }> {
    await this.whenNotBusy(() => this.request('POST', '/auth/signup', { username, password })).catch((err: Error) => {
      if (!err.message.includes('409')) throw err;
    });
    const { access_token } = await this.whenNotBusy(() => this.request<{ access_token: string }>('POST', '/auth/login', { username, password }));
    const me = await this.request<{ id: string }>('GET', '/auth/me', undefined, access_token);
    return { id: me.id, token: access_token };
  }

  /**
   * Again while the server answers 503 `overloaded` ("retry shortly"), as a polite client does: on a
   * shared machine auth's small Argon2 queue fills while thousands of accounts are made.
   */
  private async whenNotBusy<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= 10 || !String(err).includes('"overloaded"')) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  async createGroup(token: string, title: string, memberIds: string[]): Promise<string> {
    return (await this.request<{ id: string }>('POST', '/conversations', { title, member_ids: memberIds }, token)).id;
  }
}

/** What scenarios need of one client connection, whichever server it talks to (Pneumatic, or the anchor). */
export interface ChatConnection {
  readonly id: number;
  onFrame: (frame: Frame, socket: ChatConnection) => void;
  sendMessage(conversationId: string, content: string, messageId?: string): string;
  readonly open: boolean;
  close(): void;
}

let nextSocketId = 0;
/** A number unique among this run's connections. */
export const nextConnectionId = () => nextSocketId++;

/** One client socket that counts what it receives; handlers are set by the scenario. */
export class ChatSocket implements ChatConnection {
  readonly id = nextConnectionId();
  onFrame: (frame: Frame, socket: ChatConnection) => void = () => undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Frame, this));
  }

  /**
   * Resolves once the gateway answered a ping: frames are handled only after it has registered the
   * socket and subscribed to its user's events, so a conversation created before that answer could
   * announce itself (`conversation_created`) before the gateway listens.
   */
  static open(wsBase: string, token: string, timeoutMs = 30_000): Promise<ChatSocket> {
    const ws = new WebSocket(`${wsBase}/ws?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const socket = new ChatSocket(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket open timed out')), timeoutMs);
      socket.onFrame = (frame) => {
        if (frame.type !== 'pong') return;
        socket.onFrame = () => undefined;
        clearTimeout(timer);
        resolve(socket);
      };
      ws.once('open', () => ws.send(JSON.stringify({ type: 'ping' })));
      ws.once('error', (err) => (clearTimeout(timer), reject(err)));
      // Refused after the upgrade (a limit, a bad token): closed with a code instead of answered.
      ws.once('close', (code, reason) => (clearTimeout(timer), reject(new Error(`socket closed ${code}: ${reason.toString()}`))));
    });
  }

  sendMessage(conversationId: string, content: string, messageId: string = randomUUID()): string {
    this.ws.send(JSON.stringify({ type: 'message', message_id: messageId, conversation_id: conversationId, content, ref: messageId }));
    return messageId;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws.close();
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inBatches<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}

/**
 * A steady load of real clients on both gateways: users, conversations (two overlapping groups and a
 * direct chat), one socket per user plus a second device for the first user. Each client sends in
 * a loop; ids carry the phase name so the checker can count per fault.
 */
import { waitFor } from '@pneumatic/testkit';
import { ChatClient, type ChatUser, type ClientOptions } from './chat-client';
import type { StackUnderTest } from './stack-under-test';

export interface ChatConversation {
  id: string;
  members: ChatUser[];
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

/** An HTTP call that a fault may interrupt: retried within a bound. */
export async function steadily<T>(what: string, call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, async () => {
    try {
      return await call();
    } catch {
      return undefined;
    }
  }, timeoutMs, 500);
}

async function expectOk(res: Response, statuses: number[]): Promise<unknown> {
  if (!statuses.includes(res.status)) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function signUp(api: string, username: string): Promise<ChatUser> {
  const password = 'chaos-password-1';
  await steadily(`signup ${username}`, async () => expectOk(await fetch(`${api}/auth/signup`, json({ username, password })), [201, 409]));
  const { access_token: token } = (await steadily(`login ${username}`, async () =>
    expectOk(await fetch(`${api}/auth/login`, json({ username, password })), [200]),
  )) as { access_token: string };
  const { id } = (await expectOk(await fetch(`${api}/auth/me`, { headers: { Authorization: `Bearer ${token}` } }), [200])) as { id: string };
  return { id, username, token };
}

export async function createConversation(api: string, owner: ChatUser, title: string, others: ChatUser[]): Promise<ChatConversation> {
  const body = { title, member_ids: others.map((u) => u.id) };
  const { id } = (await steadily(`create ${title || 'direct'}`, async () => expectOk(await fetch(`${api}/conversations`, json(body, owner.token)), [200, 201]))) as {
    id: string;
  };
  return { id, members: [owner, ...others] };
}

export class ChatLoad {
  phase = 'warmup';
  private running = false;
  private loops: Promise<void>[] = [];

  private constructor(
    readonly users: ChatUser[],
    readonly conversations: ChatConversation[],
    readonly clients: ChatClient[],
    private readonly sendIntervalMs: number,
  ) {}

  /** A load over clients the caller set up; `start` can make only some of them send. */
  static over(users: ChatUser[], conversations: ChatConversation[], clients: ChatClient[], sendIntervalMs: number): ChatLoad {
    return new ChatLoad(users, conversations, clients, sendIntervalMs);
  }

  /** The steady load the chaos and soak suites put on a stack (CHAOS_SEND_INTERVAL_MS sets its pace). */
  static againstStack(stack: StackUnderTest): Promise<ChatLoad> {
    return ChatLoad.create(stack.httpUrl(0), stack.wsUrls(), {
      replyTimeoutMs: 20_000,
      sendDeadlineMs: 90_000,
      sendIntervalMs: Number(process.env.CHAOS_SEND_INTERVAL_MS ?? 300),
    });
  }

  static async create(api: string, wsUrls: string[], options: ClientOptions & { sendIntervalMs: number }): Promise<ChatLoad> {
    const run = Math.random().toString(36).slice(2, 8);
    const users: ChatUser[] = [];
    for (let i = 0; i < 6; i++) users.push(await signUp(api, `chaos_${run}_${i}`));
    const [u0, u1, u2, u3, u4, u5] = users as [ChatUser, ChatUser, ChatUser, ChatUser, ChatUser, ChatUser];
    const conversations = [
      await createConversation(api, u0, 'chaos-a', [u1, u2, u3]),
      await createConversation(api, u2, 'chaos-b', [u3, u4, u5]),
      await createConversation(api, u0, '', [u5]),
    ];
    const devices = [...users.map((u, i) => ({ user: u, label: `u${i}` })), { user: u0, label: 'u0b' }];
    const clients = devices.map(
      ({ user, label }, i) =>
        new ChatClient(
          label,
          user,
          conversations.filter((c) => c.members.some((m) => m.id === user.id)).map((c) => c.id),
          wsUrls,
          i % 2,
          options,
        ),
    );
    const connected = await Promise.all(clients.map((c) => c.connect()));
    if (!connected.every(Boolean)) throw new Error('not every chaos client could connect');
    return new ChatLoad(users, conversations, clients, options.sendIntervalMs);
  }

  /** Starts the send loop of every client (or of `senders`) under the given phase name. */
  start(phase: string, senders: ChatClient[] = this.clients): void {
    this.phase = phase;
    this.running = true;
    this.loops = senders.map((client) => this.sendLoop(client));
  }

  /** Stops sending and waits for every send in flight to finish (acknowledged or given up). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  private async sendLoop(client: ChatClient): Promise<void> {
    const phase = this.phase;
    for (let n = 1; this.running; n++) {
      const conversationId = client.conversations[n % client.conversations.length]!;
      await client.send(`${phase}.${client.label}.${n}`, conversationId, `${phase} #${n} from ${client.label}`, phase);
      await new Promise((r) => setTimeout(r, this.sendIntervalMs * (0.5 + Math.random())));
    }
  }
}

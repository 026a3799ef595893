/**
 * Replies bounded in bytes and messages bounded in reactions (issue #15, points 1 and 9), against
 * the real service processes over real NATS: a history page of heavy messages used to exceed a
 * NATS message and end the messages service; reactions named like Object.prototype members
 * answered 500; one user could pile reactions on a message without limit.
 */
import {
  createTestContext,
  jsonRequest,
  signUpUsers,
  startTestStack,
  TestSocket,
  waitFor,
  type TestContext,
  type TestStack,
} from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';

let ctx: TestContext;
let stack: TestStack;
let tokens: Map<string, string>;
let ids: Map<string, string>;
// Small reaction bounds, set the way an operator would, so reaching them takes a few requests.
const reactionBounds = { MESSAGES_REACTION_EMOJI_MAX: '5', MESSAGES_REACTIONS_PER_USER_MAX: '3', MESSAGES_REACTIONS_MAX: '7' };
const post = jsonRequest;

beforeAll(async () => {
  ctx = await createTestContext('e2e_bounds');
  stack = await startTestStack({ ...ctx.env, ...reactionBounds }, 1);
  ({ ids, tokens } = await signUpUsers(stack.url(), ['alice', 'bob', 'carol']));
}, 90_000);

afterAll(async () => {
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await stack?.stop();
  await ctx?.cleanup();
});

async function api(user: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.url()}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${tokens.get(user)}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const group = async () => (await api('alice', '/conversations', post({ title: 'Bounds', member_ids: [ids.get('bob'), ids.get('carol')] }))).body.id as string;
const send = async (conversationId: string, content: string) => {
  const sent = await api('alice', '/messages', post({ message_id: randomUUID(), sender_id: ids.get('alice'), conversation_id: conversationId, content }));
  expect(sent.status).toBe(201);
  return sent.body as { id: string; seq: number };
};
const messagesService = () => stack.services.find((s) => s.name === 'messages')!;
const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('history pages bounded in bytes', () => {
  let conversationId: string;
  beforeAll(async () => {
    conversationId = await group();
    // Each is 24,000 bytes as JSON: 50 of them made a ~1.2 MB reply, over NATS's 1 MiB.
    for (let i = 0; i < 50; i++) await send(conversationId, '\u0001'.repeat(4000));
  }, 60_000);

  it('answers ?limit=50 with the newest messages that fit, has_more true, and the messages service stays up', async () => {
    const newest = await api('alice', `/conversations/${conversationId}/messages?limit=50`);
    expect(newest.status).toBe(200);
    expect(newest.body.has_more).toBe(true);
    const first = newest.body.messages[0].seq;
    expect(newest.body.messages.length).toBeLessThan(50);
    expect(seqs(newest.body)).toEqual(range(first, 50));

    // The cursor goes on where the cut page stopped, towards older messages.
    const older = await api('alice', `/conversations/${conversationId}/messages?limit=50&before_seq=${first}`);
    expect(older.status).toBe(200);
    expect(seqs(older.body)).toEqual(range(older.body.messages[0].seq, first - 1));
    expect(older.body.has_more).toBe(true);

    // Reading forward, the page is cut at its newer end.
    const oldest = await api('alice', `/conversations/${conversationId}/messages?limit=50&after_seq=0`);
    expect(seqs(oldest.body)).toEqual(range(1, oldest.body.messages.length));
    expect(oldest.body).toMatchObject({ has_more: true });
    expect(oldest.body.messages.length).toBeLessThan(50);

    expect(messagesService().child.exitCode).toBeNull();
    expect((await send(conversationId, 'still here')).seq).toBe(51);
  });

  it('answers a WebSocket sync the same way: ascending from after_seq, cut short, has_more true', async () => {
    const socket = await TestSocket.open(`${stack.wsUrl()}/ws?token=${tokens.get('bob')}`);
    try {
      socket.send({ type: 'sync', conversation_id: conversationId, after_seq: 0, ref: 'sync-1' });
      const sync = await socket.next((f) => f.type === 'sync' && f.ref === 'sync-1');
      const messages = sync.messages as { seq: number }[];
      expect(sync.has_more).toBe(true);
      expect(messages.length).toBeLessThan(50);
      expect(messages.map((m) => m.seq)).toEqual(range(1, messages.length));
    } finally {
      socket.ws.close();
    }
    expect(messagesService().child.exitCode).toBeNull();
  });
});

describe('reactions', () => {
  let conversationId: string;
  beforeAll(async () => {
    conversationId = await group();
  });
  const react = (user: string, messageId: string, emoji: string) => api(user, `/messages/${messageId}/reactions`, post({ emoji }));
  const unreact = (user: string, messageId: string, emoji: string) =>
    api(user, `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`, { method: 'DELETE' });
  const stored = async (messageId: string) => {
    const page = await api('alice', `/conversations/${conversationId}/messages?limit=200`);
    return page.body.messages.find((m: { id: string }) => m.id === messageId).reactions as Record<string, string[]>;
  };

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('adds, lists and removes a reaction named %s', async (emoji) => {
    const { id } = await send(conversationId, `react with ${emoji}`);
    const added = await react('bob', id, emoji);
    expect(added.status).toBe(200);
    expect(Object.entries(added.body.reactions)).toEqual([[emoji, [ids.get('bob')]]]);
    expect((await react('carol', id, emoji)).status).toBe(200);
    expect(Object.entries(await stored(id))).toEqual([[emoji, [ids.get('bob'), ids.get('carol')]]]);
    const removed = await unreact('bob', id, emoji);
    expect(removed.status).toBe(200);
    expect(Object.entries(removed.body.reactions)).toEqual([[emoji, [ids.get('carol')]]]);
    expect(Object.entries((await unreact('carol', id, emoji)).body.reactions)).toEqual([]);
    expect(Object.entries(await stored(id))).toEqual([]);
  });

  it('keeps a proto-named reaction in the conversation summary of its last message', async () => {
    const { id } = await send(conversationId, 'the last one');
    expect((await react('bob', id, '__proto__')).status).toBe(200);
    expect((await react('bob', id, 'constructor')).status).toBe(200);
    await waitFor('summary with both reactions', async () => {
      const conversation = await api('alice', `/conversations/${conversationId}`);
      const reactions = conversation.body.last_message?.reactions ?? {};
      return Object.keys(reactions).sort().join() === '__proto__,constructor';
    });
    expect(stack.services.find((s) => s.name === 'conversations')!.child.exitCode).toBeNull();
  });

  it('refuses, with 409 and nothing stored, reactions past the bounds per user, distinct per message, and in all', async () => {
    const { id } = await send(conversationId, 'popular');
    for (const emoji of ['a', 'b', 'c']) expect((await react('alice', id, emoji)).status).toBe(200);
    const perUser = await react('alice', id, 'd');
    expect(perUser).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect(perUser.body.detail).toContain('at most 3 reactions');

    for (const emoji of ['d', 'e']) expect((await react('bob', id, emoji)).status).toBe(200);
    const distinct = await react('bob', id, 'f');
    expect(distinct).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect(distinct.body.detail).toContain('at most 5 different reactions');

    expect((await react('bob', id, 'a')).status).toBe(200);
    expect((await react('carol', id, 'a')).status).toBe(200);
    const total = await react('carol', id, 'b');
    expect(total).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect(total.body.detail).toContain('at most 7 reactions');

    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => ids.get(u));
    expect(await stored(id)).toEqual({ a: [alice, bob, carol], b: [alice], c: [alice], d: [bob], e: [bob] });

    // Over a WebSocket the same refusal is an error frame.
    const socket = await TestSocket.open(`${stack.wsUrl()}/ws?token=${tokens.get('carol')}`);
    try {
      socket.send({ type: 'reaction', message_id: id, emoji: 'b', action: 'add', ref: 'r-1' });
      expect(await socket.next((f) => f.type === 'error' && f.ref === 'r-1')).toMatchObject({ code: 'conflict' });
    } finally {
      socket.ws.close();
    }
    // Removing makes room again.
    expect((await unreact('alice', id, 'c')).status).toBe(200);
    expect((await react('carol', id, 'b')).status).toBe(200);
  });
});

/**
 * Conversations, members, messages, reactions and read receipts over the public HTTP API, and a
 * storm of retries of one message through two gateways, against the real service processes.
 */
import { createTestContext, jsonRequest, signUpUsers, startTestStack, TestSocket, waitFor, type TestContext, type TestStack } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';

let ctx: TestContext;
let stack: TestStack;
let tokens: Map<string, string>;
let ids: Map<string, string>;
const post = jsonRequest;

beforeAll(async () => {
  ctx = await createTestContext('e2e_conv_msgs');
  // Small pages of conversation ids on connect, so the socket test below needs several.
  stack = await startTestStack({ ...ctx.env, WS_FOLLOW_PAGE_SIZE: '20' });
  ({ ids, tokens } = await signUpUsers(stack.url(0), ['alice', 'bob', 'carol', 'mallory']));
}, 90_000);

afterAll(async () => {
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await stack?.stop();
  await ctx?.cleanup();
});

/** The stack's last warning and error log lines, for a failure message. */
const serviceWarnings = () =>
  stack
    .logs()
    .split('\n')
    .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
    .slice(-20)
    .join('\n');

/** An authenticated request as `user` through gateway `gateway`. */
async function api(user: string, path: string, init: RequestInit = {}, gateway = 0): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.url(gateway)}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${tokens.get(user)}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('conversations and members', () => {
  it('adds members to a group, refuses a direct conversation, and lets members leave or remove', async () => {
    const group = await api('alice', '/conversations', post({ title: 'Team', member_ids: [ids.get('bob')], kind: 'group' }));
    expect(group.status).toBe(201);
    const added = await api('bob', `/conversations/${group.body.id}/members`, post({ user_ids: [ids.get('carol')] }));
    expect(added.status).toBe(200);
    expect([...added.body.members].sort()).toEqual([ids.get('alice'), ids.get('bob'), ids.get('carol')].sort());
    expect((await api('carol', `/conversations/${group.body.id}`)).status).toBe(200);

    const direct = await api('alice', '/conversations', post({ title: '', member_ids: [ids.get('bob')] }));
    expect(direct.body.kind).toBe('direct');
    expect((await api('alice', `/conversations/${direct.body.id}/members`, post({ user_ids: [ids.get('carol')] }))).status).toBe(422);

    expect((await api('alice', `/conversations/${group.body.id}/members/${ids.get('carol')}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await api('carol', `/conversations/${group.body.id}/messages`);
    expect(gone).toMatchObject({ status: 403, body: { code: 'not_a_member' } });
    expect(gone.body.detail).toContain('not a member');
    expect((await api('bob', `/conversations/${group.body.id}/members/${ids.get('bob')}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api('alice', `/conversations/${group.body.id}`)).body.members).toEqual([ids.get('alice')]);

    expect((await api('mallory', `/conversations/${direct.body.id}`)).status).toBe(403);
    expect((await api('alice', `/conversations/${randomUUID()}/members`, post({ user_ids: [ids.get('carol')] }))).status).toBe(404);
    expect((await api('alice', `/conversations/${direct.body.id}/members`, post({ user_ids: [] }))).status).toBe(422);
  });
});

describe('messages', () => {
  let conversationId: string;
  beforeAll(async () => {
    conversationId = (await api('alice', '/conversations', post({ title: 'Chat', member_ids: [ids.get('bob')], kind: 'group' }))).body.id;
  });
  const send = (user: string, content: string, messageId: string = randomUUID(), gateway = 0) =>
    api(user, '/messages', post({ message_id: messageId, sender_id: ids.get(user), conversation_id: conversationId, content }), gateway);

  it('edits by client message_id or server id, for the sender only', async () => {
    const sent = await send('alice', 'helo', 'alice-1');
    expect(sent.status).toBe(201);
    const edited = await api('alice', '/messages/alice-1', post({ content: 'hello' }, 'PATCH'), 1);
    expect(edited).toMatchObject({ status: 200, body: { id: sent.body.id, content: 'hello', edited_at: expect.any(String) } });
    expect((await api('alice', `/messages/${sent.body.id}`, post({ content: 'hello!' }, 'PATCH'))).body.content).toBe('hello!');
    expect((await api('bob', `/messages/${sent.body.id}`, post({ content: 'mine' }, 'PATCH'))).status).toBe(403);
    expect((await api('mallory', `/messages/${sent.body.id}`, post({ content: 'x' }, 'PATCH'))).body).toMatchObject({ code: 'not_a_member' });
    expect((await api('alice', `/messages/${sent.body.id}`, post({ content: 'x'.repeat(4001) }, 'PATCH'))).status).toBe(422);
    expect((await api('alice', `/messages/${randomUUID()}`, post({ content: 'x' }, 'PATCH'))).status).toBe(404);
    expect((await send('alice', '', randomUUID())).status).toBe(422);
    expect((await send('mallory', 'hi', randomUUID())).status).toBe(403);
  });

  it('adds and removes reactions, answering with the message', async () => {
    const { body: message } = await send('bob', 'react to me');
    const added = await api('alice', `/messages/${message.id}/reactions`, post({ emoji: '👍' }));
    expect(added).toMatchObject({ status: 200, body: { id: message.id, reactions: { '👍': [ids.get('alice')] } } });
    const removed = await api('alice', `/messages/${message.id}/reactions/${encodeURIComponent('👍')}`, { method: 'DELETE' }, 1);
    expect(removed).toMatchObject({ status: 200, body: { reactions: {} } });
    expect((await api('mallory', `/messages/${message.id}/reactions`, post({ emoji: '👎' }))).status).toBe(403);
  });

  it('tombstones a deleted message for everyone and keeps it deleted', async () => {
    const { body: message } = await send('bob', 'regrettable');
    expect((await api('alice', `/messages/${message.id}`, { method: 'DELETE' })).status).toBe(403);
    const deleted = await api('bob', `/messages/${message.id}`, { method: 'DELETE' });
    expect(deleted).toMatchObject({ status: 200, body: { id: message.id, content: '', deleted: true } });
    const history = await api('alice', `/conversations/${conversationId}/messages?after_seq=${message.seq - 1}&limit=1`);
    expect(history.body.messages[0]).toMatchObject({ id: message.id, content: '', deleted: true });
    expect((await api('bob', `/messages/${message.id}`, post({ content: 'back' }, 'PATCH'))).status).toBe(409);
  });

  it('takes read receipts from members, moving forward only', async () => {
    expect((await api('bob', `/conversations/${conversationId}/read`, post({ seq: 1 }))).status).toBe(204);
    expect((await api('bob', `/conversations/${conversationId}/read`, post({ seq: 0 }))).status).toBe(204);
    expect((await api('mallory', `/conversations/${conversationId}/read`, post({ seq: 1 }))).status).toBe(403);
    expect((await api('bob', `/conversations/${randomUUID()}/read`, post({ seq: 1 }))).status).toBe(404);
    expect((await api('bob', `/conversations/${conversationId}/read`, post({ seq: -1 }))).status).toBe(422);
  });

  it('stores one message for a storm of retries of one message_id through two gateways, over HTTP and WebSockets', async () => {
    const messageId = `storm-${randomUUID()}`;
    const sockets = await Promise.all([0, 1].map((g) => TestSocket.open(`${stack.wsUrl(g)}/ws?token=${tokens.get('alice')}`)));
    try {
      const frame = { type: 'message', message_id: messageId, conversation_id: conversationId, content: 'once' };
      const http = Array.from({ length: 10 }, (_, i) => send('alice', 'once', messageId, i % 2));
      for (let i = 0; i < 10; i++) sockets[i % 2]!.send(frame);
      const replies = await Promise.all(http);
      expect(replies.every((r) => r.status === 200 || r.status === 201)).toBe(true);
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
      for (const socket of sockets) await socket.next((f) => f.type === 'message' && (f.message as { message_id: string }).message_id === messageId, 10_000);
      const stored = await waitFor('the storm to settle', async () => {
        const page = await api('bob', `/conversations/${conversationId}/messages?limit=200`);
        return page.body.messages.filter((m: { message_id: string }) => m.message_id === messageId);
      });
      expect(stored).toHaveLength(1);
      expect(stored[0].id).toBe(replies[0]!.body.id);
      const seqs = (await api('bob', `/conversations/${conversationId}/messages?limit=200`)).body.messages.map((m: { seq: number }) => m.seq);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    } finally {
      sockets.forEach((s) => s.close());
    }
  });
});

describe('direct conversations and the paged list (issue #16, #15.1)', () => {
  it("gives both users the pair's one direct conversation whatever the title, also when they create it at once", async () => {
    const [first, again] = [
      await api('carol', '/conversations', post({ title: 'Mallory', member_ids: [ids.get('mallory')] })),
      await api('mallory', '/conversations', post({ title: 'Carol', member_ids: [ids.get('carol')] })),
    ];
    expect(first).toMatchObject({ status: 201, body: { kind: 'direct', member_count: 2 } });
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
    const raced = await Promise.all(
      [0, 1, 2, 3].map((i) => api(i % 2 ? 'alice' : 'mallory', '/conversations', post({ title: 'x', member_ids: [ids.get(i % 2 ? 'mallory' : 'alice')] }), i % 2)),
    );
    expect(new Set(raced.map((r) => r.body.id)).size).toBe(1);
    expect(raced.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it('makes distinct groups of two with kind "group"', async () => {
    const one = await api('carol', '/conversations', post({ title: 'Pair', member_ids: [ids.get('mallory')], kind: 'group' }));
    const two = await api('mallory', '/conversations', post({ title: 'Pair', member_ids: [ids.get('carol')], kind: 'group' }));
    expect([one.status, two.status, one.body.kind, two.body.kind]).toEqual([201, 201, 'group', 'group']);
    expect(one.body.id).not.toBe(two.body.id);
    // Without the kind, the same titled create is the pair's direct conversation, a third one.
    const direct = await api('carol', '/conversations', post({ title: 'Pair', member_ids: [ids.get('mallory')] }));
    expect(direct.body.kind).toBe('direct');
    expect([one.body.id, two.body.id]).not.toContain(direct.body.id);
  });

  it('pages 56 groups with a 24 KB last message each by bytes, completely and in order, and a new socket follows them all', async () => {
    const heavy = '\u0001'.repeat(4000); // 24,000 bytes as JSON
    const made: string[] = [];
    for (let i = 0; i < 56; i++) {
      const { body } = await api('bob', '/conversations', post({ title: `Heavy ${i}`, member_ids: [ids.get('carol')], kind: 'group' }));
      made.push(body.id);
      const sent = await api('bob', `/conversations/${body.id}/messages`, post({ content: heavy }));
      expect(sent.status).toBe(201);
    }
    const lists = async (limit: string) => {
      const seen: { id: string; last_message: { content: string } | null }[] = [];
      let cursor = '';
      for (let page = 0; page < 20; page++) {
        const res = await api('carol', `/conversations?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.conversations.length).toBeLessThan(56);
        seen.push(...res.body.conversations);
        if (!res.body.next_cursor) break;
        cursor = res.body.next_cursor;
      }
      return seen;
    };
    let projected = 0;
    const listed = await waitFor('every summary projected', async () => {
      const seen = await lists('100');
      projected = seen.filter((c) => made.includes(c.id) && c.last_message?.content === heavy).length;
      return projected === 56 ? seen : undefined;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message} (${projected} of 56); the services' warnings:\n${serviceWarnings()}`);
    });
    expect(listed.filter((c) => made.includes(c.id)).map((c) => c.id)).toEqual([...made].reverse());
    expect(new Set(listed.map((c) => c.id)).size).toBe(listed.length);
    expect((await api('carol', '/conversations?limit=501')).status).toBe(422);

    // Connecting pages through all of carol's conversations (20 ids a page here); a message in one on the last page reaches the socket.
    const lastById = [...made].sort().at(-1)!; // on the last page of ids
    const socket = await TestSocket.open(`${stack.wsUrl(1)}/ws?token=${tokens.get('carol')}`);
    try {
      await waitFor('the socket to follow a conversation on the last page', async () => {
        const res = await api('bob', `/conversations/${lastById}/messages`, post({ content: 'ping' }));
        expect(res.status).toBe(201);
        const frame = await socket.nextOfType('message', 2_000).catch(() => undefined);
        return (frame?.message as { conversation_id?: string } | undefined)?.conversation_id === lastById;
      }, 30_000);
    } finally {
      socket.close();
    }
    expect((await api('carol', '/conversations?limit=1')).status).toBe(200);
  }, 240_000);
});

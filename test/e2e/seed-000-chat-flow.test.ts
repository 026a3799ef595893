/**
 * Seed 000's "Complete Example: Full Chat Flow", played verbatim against the real processes:
 * auth, conversations, messages, presence and two gateways, over real Postgres, NATS and Redis.
 */
import { createTestContext, startTestStack, TestSocket, waitFor, type TestContext, type TestStack } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';

let ctx: TestContext;
let stack: TestStack;

beforeAll(async () => {
  ctx = await createTestContext('e2e_seed000');
  // Seed 000 uses the 7-character `pass123`, which the API allows with PASSWORD_MIN_LENGTH=6.
  stack = await startTestStack({ ...ctx.env, PASSWORD_MIN_LENGTH: '6' });
}, 60_000);

afterAll(async () => {
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await stack?.stop();
  await ctx?.cleanup();
});

const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const bearer = (token: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
});

describe('seed 000: complete chat flow across two gateways', () => {
  const sockets: TestSocket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));

  it('signs up, logs in, creates a conversation and exchanges a message over WebSockets', async () => {
    const api = stack.url(0);

    // Step 1: create users
    for (const username of ['alice', 'bob']) {
      const res = await fetch(`${api}/auth/signup`, json({ username, password: 'pass123' }));
      expect(res.status).toBe(201);
      const user = await res.json();
      expect(user).toEqual({ id: expect.any(String), username, full_name: null });
    }

    // Step 2: log in and get tokens
    const login = async (username: string) => {
      const res = await fetch(`${api}/auth/login`, json({ username, password: 'pass123' }));
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'bearer' });
      return body.access_token as string;
    };
    const aliceToken = await login('alice');
    const bobToken = await login('bob');

    // Step 3: get user ids
    const me = async (token: string) => (await (await fetch(`${api}/auth/me`, bearer(token))).json()).id as string;
    const aliceId = await me(aliceToken);
    const bobId = await me(bobToken);

    // Step 4: create the conversation
    const created = await fetch(`${api}/conversations`, bearer(aliceToken, json({ title: 'Alice & Bob Chat', member_ids: [bobId] })));
    expect(created.status).toBe(201);
    const conversation = await created.json();
    // One other member: the pair's direct conversation, keeping the title it was created with (API.md).
    expect(conversation).toMatchObject({ title: 'Alice & Bob Chat', kind: 'direct' });
    expect([...conversation.members].sort()).toEqual([aliceId, bobId].sort());
    const convId = conversation.id as string;

    // Step 5: connect WebSockets, alice to gateway 1 and bob to gateway 2, and join
    const ws1 = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=${aliceToken}`);
    const ws2 = await TestSocket.open(`${stack.wsUrl(1)}/ws?token=${bobToken}`);
    sockets.push(ws1, ws2);
    ws1.send({ type: 'join', conversation_id: convId });
    ws2.send({ type: 'join', conversation_id: convId });
    expect(await ws1.nextOfType('joined')).toEqual({ type: 'joined', conversation_id: convId });
    expect(await ws2.nextOfType('joined')).toEqual({ type: 'joined', conversation_id: convId });

    // Step 6: alice sends; both sockets receive it, each after its `joined`
    const messageId = randomUUID();
    ws1.send({ type: 'message', message_id: messageId, conversation_id: convId, content: 'Hi Bob!' });
    for (const ws of [ws1, ws2]) {
      const frame = await ws.nextOfType('message');
      expect(frame.message).toMatchObject({
        message_id: messageId,
        conversation_id: convId,
        sender_id: aliceId,
        sender_username: 'alice',
        content: 'Hi Bob!',
        seq: 1,
      });
      // user_status (the other user coming online) may interleave: it is presence, not chat flow.
      expect(ws.frames.map((f) => f.type).filter((t) => t !== 'user_status')).toEqual(['joined', 'message']);
    }

    // Idempotency: the retry is answered with the original, and history holds it once
    ws1.send({ type: 'message', message_id: messageId, conversation_id: convId, content: 'Hi Bob!' });
    const retry = await ws1.next((f) => f.type === 'message', 5000, 2);
    expect((retry.message as { seq: number }).seq).toBe(1);
    const history = await (await fetch(`${api}/conversations/${convId}/messages?limit=50`, bearer(bobToken))).json();
    expect(history).toEqual({ messages: [expect.objectContaining({ message_id: messageId, content: 'Hi Bob!' })], has_more: false });

    // HTTP send through the other gateway reaches alice's socket as seq 2
    const viaHttp = await fetch(
      `${stack.url(1)}/messages`,
      bearer(bobToken, json({ message_id: 'unique-uuid-here', sender_id: bobId, conversation_id: convId, content: 'Hello from HTTP!' })),
    );
    expect(viaHttp.status).toBe(201);
    const second = await ws1.next((f) => f.type === 'message' && (f.message as { seq: number }).seq === 2);
    expect(second.message).toMatchObject({ content: 'Hello from HTTP!', sender_username: 'bob' });

    // sender_id must match the caller
    const forged = await fetch(
      `${api}/messages`,
      bearer(bobToken, json({ message_id: randomUUID(), sender_id: aliceId, conversation_id: convId, content: 'as alice' })),
    );
    expect(forged.status).toBe(403);
    expect((await forged.json()).detail).toContain('sender_id must match');

    // Both users are online while their sockets are open
    const presence = await waitFor('both online', async () => {
      const res = await (await fetch(`${api}/presence?user_ids=${aliceId},${bobId}`, bearer(aliceToken))).json();
      return res.online.length === 2 ? res : undefined;
    });
    expect(presence.online.sort()).toEqual([aliceId, bobId].sort());
  });

  it('answers bad input with documented errors and keeps the socket open', async () => {
    const api = stack.url(0);
    const malformed = await fetch(`${api}/auth/signup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'invalid_json' });

    const invalid = await fetch(`${api}/auth/signup`, json({ username: 'x', password: 'pass123' }));
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).detail).toContain('username');

    const taken = await fetch(`${api}/auth/signup`, json({ username: 'alice', password: 'pass123' }));
    expect(taken.status).toBe(409);
    expect((await taken.json()).detail).toContain('already registered');

    const wrong = await fetch(`${api}/auth/login`, json({ username: 'alice', password: 'nope-nope' }));
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).detail.toLowerCase()).toContain('incorrect');

    expect((await fetch(`${api}/no/such/route`)).status).toBe(404);
    const anonymous = await fetch(`${api}/conversations`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');

    const token = (await (await fetch(`${api}/auth/login`, json({ username: 'alice', password: 'pass123' }))).json()).access_token;
    const unknown = await fetch(`${api}/conversations/${randomUUID()}/messages`, bearer(token));
    expect(unknown.status).toBe(404);
    const badId = await fetch(`${api}/conversations/not-a-uuid/messages`, bearer(token));
    expect(badId.status).toBe(422);

    const ws = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=${token}`);
    ws.send('{oops');
    ws.send({ type: 'teleport' });
    ws.send({ type: 'join', conversation_id: randomUUID() });
    ws.send({ type: 'ping' });
    expect(await ws.nextOfType('pong')).toMatchObject({ timestamp: expect.any(String) });
    expect(ws.frames.filter((f) => f.type === 'error').map((f) => f.code)).toEqual(['invalid_json', 'unknown_type', 'not_found']);
    ws.close();

    const refused = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=forged`);
    expect((await refused.closed()).code).toBe(1008);
  });
});

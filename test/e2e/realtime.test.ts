/**
 * The real-time protocol end to end: every service as a real process, two gateways (plus a few
 * spawned for failover, drain and backpressure), real sockets, over real Postgres, NATS and Redis.
 */
import {
  MemberAddedV1,
  MemberRemovedV1,
  UserStatusV1,
  conversationSubject,
  presenceSubjects,
  userSubject,
  type Conversation,
  type Message,
} from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import {
  createTestContext,
  spawnService,
  startTestStack,
  TestSocket,
  waitFor,
  type Frame,
  type ServiceProcess,
  type TestContext,
  type TestStack,
} from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { z } from 'zod';

let ctx: TestContext;
let stack: TestStack;
let bus: Bus;
const extraGateways: ServiceProcess[] = [];
const sockets: TestSocket[] = [];

interface Person {
  id: string;
  token: string;
}
let alice: Person;
let bob: Person;
let carol: Person;
let team: Conversation;

const json = (body: unknown, token?: string, method = 'POST'): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

async function person(username: string): Promise<Person> {
  const api = stack.url(0);
  await fetch(`${api}/auth/signup`, json({ username, password: 'correct-horse' }));
  const { access_token: token } = await (await fetch(`${api}/auth/login`, json({ username, password: 'correct-horse' }))).json();
  const { id } = await (await fetch(`${api}/auth/me`, { headers: { Authorization: `Bearer ${token}` } })).json();
  return { id, token };
}

async function createConversation(owner: Person, title: string, members: Person[]): Promise<Conversation> {
  const res = await fetch(`${stack.url(0)}/conversations`, json({ title, member_ids: members.map((m) => m.id), kind: 'group' }, owner.token));
  expect(res.status).toBe(201);
  return res.json();
}

async function connect(who: Person, gateway: number | ServiceProcess = 0, path = '/ws'): Promise<TestSocket> {
  const base = typeof gateway === 'number' ? stack.wsUrl(gateway) : `ws://127.0.0.1:${gateway.port}`;
  const socket = await TestSocket.open(`${base}${path}?token=${who.token}`);
  sockets.push(socket);
  return socket;
}

/** Sends a frame with a fresh ref and waits for the reply (or error) carrying it. */
async function ask(socket: TestSocket, frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
  const ref = randomUUID();
  socket.send({ ...frame, ref });
  return socket.next((f) => f.ref === ref, timeoutMs);
}

async function join(socket: TestSocket, conversationId: string): Promise<void> {
  expect(await ask(socket, { type: 'join', conversation_id: conversationId })).toMatchObject({ type: 'joined' });
}

const isMessage = (content: string) => (f: Frame) => f.type === 'message' && (f.message as Message).content === content;

async function say(socket: TestSocket, conversationId: string, content: string): Promise<Message> {
  socket.send({ type: 'message', message_id: randomUUID(), conversation_id: conversationId, content });
  return (await socket.next(isMessage(content))).message as Message;
}

function envelope<S extends z.ZodType>(type: string, data: unknown): z.input<S> {
  return { id: randomUUID(), type, version: 1, time: new Date().toISOString(), data } as z.input<S>;
}

async function metric(gateway: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

beforeAll(async () => {
  ctx = await createTestContext('e2e_realtime');
  stack = await startTestStack({ ...ctx.env, WS_TYPING_EXPIRY_SECONDS: '1' });
  bus = await ctx.connectBus('realtime-test');
  [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(person)) as [Person, Person, Person];
  team = await createConversation(alice, 'Team', [bob]);
}, 90_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await Promise.all(extraGateways.map((g) => g.stop('SIGKILL')));
  await stack?.stop();
  await ctx?.cleanup();
});

describe('durable events across two gateways', () => {
  let aliceWs: TestSocket;
  let bobPhone: TestSocket;
  let bobLaptop: TestSocket;

  beforeAll(async () => {
    aliceWs = await connect(alice, 0);
    bobPhone = await connect(bob, 1);
    bobLaptop = await connect(bob, 0);
    await join(aliceWs, team.id);
  });

  it('delivers a message to every device of every member, in seq order, without a join', async () => {
    const contents = ['one', 'two', 'three', 'four', 'five'];
    for (const content of contents) {
      aliceWs.send({ type: 'message', message_id: randomUUID(), conversation_id: team.id, content });
    }
    for (const ws of [aliceWs, bobPhone, bobLaptop]) {
      await ws.next(isMessage('five'));
      const seen = ws.frames.filter((f) => f.type === 'message').map((f) => f.message as Message);
      expect(seen.map((m) => m.content)).toEqual(contents);
      expect(seen.map((m) => m.seq)).toEqual([...seen.map((m) => m.seq)].sort((a, b) => a - b));
    }
  });

  it('answers a retried message_id with the original, stored once', async () => {
    const messageId = randomUUID();
    aliceWs.send({ type: 'message', message_id: messageId, conversation_id: team.id, content: 'once' });
    const first = (await aliceWs.next(isMessage('once'))).message as Message;
    const retry = await ask(aliceWs, { type: 'message', message_id: messageId, conversation_id: team.id, content: 'once' });
    expect((retry.message as Message).id).toBe(first.id);
    const seen = await ask(bobPhone, { type: 'sync', conversation_id: team.id, after_seq: first.seq - 1 });
    expect((seen.messages as Message[]).filter((m) => m.message_id === messageId)).toHaveLength(1);
  });

  it('sends a mention frame to the mentioned member', async () => {
    const sent = await say(aliceWs, team.id, 'ping @bob please');
    const mention = await bobPhone.next((f) => f.type === 'mention' && (f.message as Message).id === sent.id);
    expect((mention.message as Message).mentions).toContain(bob.id);
    expect(aliceWs.frames.some((f) => f.type === 'mention')).toBe(false);
  });

  // The next four need the messages-side handlers for edit/delete/react/read (helper B1).
  it('relays an edit as message_edited to members on both gateways', async () => {
    const sent = await say(aliceWs, team.id, 'tpyo');
    aliceWs.send({ type: 'edit', message_id: sent.message_id, content: 'typo' });
    for (const ws of [aliceWs, bobPhone]) {
      const edited = await ws.next((f) => f.type === 'message_edited' && (f.message as Message).id === sent.id);
      expect(edited.message).toMatchObject({ content: 'typo', edited_at: expect.any(String) });
    }
  });

  it('relays a deletion as message_deleted', async () => {
    const sent = await say(aliceWs, team.id, 'oops');
    aliceWs.send({ type: 'delete', message_id: sent.id });
    const deleted = await bobPhone.next((f) => f.type === 'message_deleted' && (f.message as Message).id === sent.id);
    expect(deleted.message).toMatchObject({ deleted: true });
  });

  it('relays a reaction as message_reaction', async () => {
    const sent = await say(aliceWs, team.id, 'react to me');
    bobPhone.send({ type: 'reaction', message_id: sent.id, emoji: '👍', action: 'add' });
    expect(await aliceWs.next((f) => f.type === 'message_reaction' && f.message_id === sent.id)).toMatchObject({
      conversation_id: team.id,
      emoji: '👍',
      user_id: bob.id,
      action: 'add',
    });
  });

  it('relays a read receipt to the other joined members', async () => {
    const sent = await say(aliceWs, team.id, 'read me');
    bobPhone.send({ type: 'read', conversation_id: team.id, seq: sent.seq });
    expect(await aliceWs.next((f) => f.type === 'read' && f.seq === sent.seq)).toMatchObject({ conversation_id: team.id, user_id: bob.id });
  });

  it('sync returns what a client missed, in order', async () => {
    const before = await say(aliceWs, team.id, 'sync base');
    await say(aliceWs, team.id, 'sync a');
    await say(aliceWs, team.id, 'sync b');
    const reply = await ask(bobPhone, { type: 'sync', conversation_id: team.id, after_seq: before.seq });
    expect(reply).toMatchObject({ type: 'sync', conversation_id: team.id, has_more: false });
    expect((reply.messages as Message[]).map((m) => m.content)).toEqual(['sync a', 'sync b']);
  });

  it('leave answers left and stops ephemeral events on that socket', async () => {
    const viewer = await connect(bob, 1);
    await join(viewer, team.id);
    expect(await ask(viewer, { type: 'leave', conversation_id: team.id })).toMatchObject({ type: 'left', conversation_id: team.id });
    await join(bobPhone, team.id);
    aliceWs.send({ type: 'typing', conversation_id: team.id });
    await bobPhone.next((f) => f.type === 'typing' && f.is_typing === true);
    expect(viewer.frames.some((f) => f.type === 'typing')).toBe(false);
  });
});

describe('ephemeral events', () => {
  it('typing reaches only other sockets that joined, and expires without renewal', async () => {
    const typist = await connect(alice, 0);
    const watching = await connect(bob, 1);
    const notWatching = await connect(bob, 0);
    await join(typist, team.id);
    await join(watching, team.id);
    typist.send({ type: 'typing', conversation_id: team.id });
    expect(await watching.next((f) => f.type === 'typing' && f.is_typing === true)).toMatchObject({
      conversation_id: team.id,
      user_id: alice.id,
      username: 'alice',
    });
    // The suite runs with WS_TYPING_EXPIRY_SECONDS=1 (default 5).
    await watching.next((f) => f.type === 'typing' && f.is_typing === false, 10_000);
    expect(notWatching.frames.some((f) => f.type === 'typing')).toBe(false);
    expect(typist.frames.some((f) => f.type === 'typing')).toBe(false);
  });

  it('rate-limits typing per socket', async () => {
    const typist = await connect(alice, 0);
    await join(typist, team.id);
    for (let i = 0; i < 10; i++) typist.send({ type: 'typing', conversation_id: team.id });
    expect(await typist.next((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited' });
  });

  it('get_online_users lists the online members', async () => {
    const ws = await connect(alice, 1);
    await connect(bob, 0);
    const reply = await waitFor('both online', async () => {
      const r = await ask(ws, { type: 'get_online_users', conversation_id: team.id });
      return (r.users as string[]).length === 2 ? r : undefined;
    }, 10_000, 200);
    expect(reply).toMatchObject({ type: 'online_users', conversation_id: team.id });
    expect([...(reply.users as string[])].sort()).toEqual([alice.id, bob.id].sort());
  });

  it('user_status reaches sockets looking at a conversation shared with that user', async () => {
    const looking = await connect(alice, 1);
    const elsewhere = await connect(carol, 1);
    await join(looking, team.id);
    // As the presence service announces a transition.
    bus.publish(presenceSubjects.status, envelope<typeof UserStatusV1>('user.status', { user_id: bob.id, status: 'offline' }));
    expect(await looking.next((f) => f.type === 'user_status' && f.status === 'offline')).toMatchObject({ user_id: bob.id });
    expect(elsewhere.frames.some((f) => f.type === 'user_status')).toBe(false);
  });
});

describe('membership changes, live', () => {
  it('a new conversation reaches every member device and is followed at once', async () => {
    const carolWs = await connect(carol, 1);
    const aliceWs = await connect(alice, 0);
    const room = await createConversation(alice, 'Room', [carol]);
    expect(await carolWs.next((f) => f.type === 'conversation_created')).toMatchObject({ conversation: { id: room.id } });
    await say(aliceWs, room.id, 'welcome carol');
    await carolWs.next(isMessage('welcome carol'));
  });

  it('member_added / member_removed reach the other members, and a removed user stops receiving', async () => {
    const room = await createConversation(alice, 'Members', [bob, carol]);
    const aliceWs = await connect(alice, 0);
    const carolWs = await connect(carol, 1);
    await say(aliceWs, room.id, 'before removal');
    await carolWs.next(isMessage('before removal'));
    // As the conversations service announces a removal, to the conversation and to the removed user.
    const after = { ...room, members: [alice.id, bob.id], member_count: 2 };
    bus.publish(conversationSubject(room.id, 'member_removed'), envelope<typeof MemberRemovedV1>('conversation.member_removed', { conversation: after, user_id: carol.id }));
    bus.publish(userSubject(carol.id, 'member_removed'), envelope<typeof MemberRemovedV1>('conversation.member_removed', { conversation: after, user_id: carol.id }));
    expect(await aliceWs.next((f) => f.type === 'member_removed')).toMatchObject({ user_id: carol.id, conversation: { id: room.id } });
    expect(await carolWs.next((f) => f.type === 'member_removed')).toMatchObject({ user_id: carol.id });
    bus.publish(conversationSubject(room.id, 'member_added'), envelope<typeof MemberAddedV1>('conversation.member_added', { conversation: room, user_id: carol.id }));
    expect(await aliceWs.next((f) => f.type === 'member_added')).toMatchObject({ user_id: carol.id });
    // Carol's gateway no longer follows the room for her: the next message does not reach her.
    await say(aliceWs, room.id, 'after removal');
    await ask(carolWs, { type: 'ping' });
    expect(carolWs.frames.some(isMessage('after removal'))).toBe(false);
  });
});

describe('the per-conversation socket (seed 003)', () => {
  it('announces the connection, sends content-only frames, and receives that conversation only', async () => {
    const aliceWs = await connect(alice, 0);
    const scoped = await connect(bob, 1, `/conversations/${team.id}/ws`);
    expect(await scoped.nextOfType('connection')).toEqual({ type: 'connection', status: 'connected', conversation_id: team.id, user_id: bob.id });
    scoped.send({ content: 'from the scoped socket' });
    await aliceWs.next(isMessage('from the scoped socket'));
    await scoped.next(isMessage('from the scoped socket'));
    const other = await createConversation(alice, 'Other', [bob]);
    await say(aliceWs, other.id, 'elsewhere');
    scoped.send({ content: 'marker' });
    await scoped.next(isMessage('marker'));
    expect(scoped.frames.some((f) => f.type === 'conversation_created' || isMessage('elsewhere')(f))).toBe(false);
    scoped.send({ content: 42 });
    expect(await scoped.nextOfType('error')).toMatchObject({ code: 'invalid_frame' });
  });

  it.each([
    ['a missing token', () => `/conversations/${team.id}/ws`, 4001],
    ['a non-member', () => `/conversations/${team.id}/ws?token=${carol.token}`, 4003],
    ['no such conversation', () => `/conversations/${randomUUID()}/ws?token=${carol.token}`, 4004],
  ])('closes for %s', async (_name, path, code) => {
    const ws = await TestSocket.open(`${stack.wsUrl(1)}${path()}`);
    sockets.push(ws);
    expect((await ws.closed()).code).toBe(code);
  });
});

describe('bad input', () => {
  it('answers every kind of bad frame with an error, keeps the socket open and others unaffected', async () => {
    const bad = await connect(carol, 0);
    const bystander = await connect(alice, 0);
    const peer = await connect(bob, 1);
    bad.send('{oops');
    bad.send({ type: 'teleport' });
    bad.send({ type: 'join', conversation_id: 42 });
    bad.send({ type: 'message', message_id: 'x', conversation_id: team.id, content: '' });
    bad.send({ type: 'sync', conversation_id: team.id, after_seq: 0 });
    bad.send({ type: 'typing', conversation_id: team.id });
    bad.send({ type: 'get_online_users', conversation_id: team.id });
    bad.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(17 * 1024) }));
    expect(await ask(bad, { type: 'ping' })).toMatchObject({ type: 'pong' });
    // Size is checked before queueing, the rest in order: compare as a multiset.
    expect([...bad.frames.filter((f) => f.type === 'error').map((f) => f.code)].sort()).toEqual(
      ['invalid_json', 'unknown_type', 'invalid_frame', 'invalid_frame', 'too_large', 'not_a_member', 'not_a_member', 'not_a_member'].sort(),
    );

    // A flood earns rate_limited, not a close; meanwhile others chat on.
    for (let i = 0; i < 200; i++) bad.send({ type: 'ping' });
    await bad.next((f) => f.type === 'error' && f.code === 'rate_limited');
    await say(bystander, team.id, 'still here');
    await peer.next(isMessage('still here'));
    expect(bad.closeCode).toBeUndefined();

    // Over 1 MiB is a WebSocket protocol violation: only that socket closes (1009).
    bad.send('x'.repeat(1024 * 1024 + 1));
    expect((await bad.closed()).code).toBe(1009);
    expect(await ask(bystander, { type: 'ping' })).toMatchObject({ type: 'pong' });
  });
});

describe('failover and shutdown', () => {
  it('a killed gateway loses nothing: its clients reconnect to the other one and sync', async () => {
    const doomed = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-doomed' });
    extraGateways.push(doomed);
    const sender = await connect(alice, 0);
    const victim = await connect(bob, doomed);
    await join(victim, team.id);
    const last = await say(sender, team.id, 'before the crash');
    await victim.next(isMessage('before the crash'));
    await doomed.stop('SIGKILL');
    await victim.closed();
    for (const content of ['during 1', 'during 2', 'during 3']) await say(sender, team.id, content);
    const back = await connect(bob, 1);
    const reply = await ask(back, { type: 'sync', conversation_id: team.id, after_seq: last.seq });
    expect((reply.messages as Message[]).map((m) => m.content)).toEqual(['during 1', 'during 2', 'during 3']);
  });

  it('on SIGTERM a gateway tells its clients to reconnect (1012) and exits cleanly', async () => {
    const leaving = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-leaving' });
    extraGateways.push(leaving);
    const ws = await connect(alice, leaving);
    await join(ws, team.id);
    const exited = leaving.stop('SIGTERM');
    expect((await ws.closed(10_000)).code).toBe(1012);
    expect(await exited).toBe(0);
  });

  it('a draining gateway answers /ready 503, turns new sockets away (1012) and closes its own at the drain pace', async () => {
    const leaving = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-paced', WS_DRAIN_CLOSES_PER_SECOND: '1' });
    extraGateways.push(leaving);
    const open = await Promise.all([alice, bob, carol].map((who) => connect(who, leaving)));
    await Promise.all(open.map((ws) => ask(ws, { type: 'ping' })));
    const exited = leaving.stop('SIGTERM');
    const closes = open.map(async (ws) => ({ ...(await ws.closed(10_000)), at: Date.now() }));
    await Promise.race(closes);

    const ready = await fetch(`http://127.0.0.1:${leaving.port}/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).checks).toMatchObject({ accepting_sockets: 'failing' });
    expect((await (await connect(alice, leaving)).closed()).code).toBe(1012);

    const all = await Promise.all(closes);
    expect(all.map((c) => c.code)).toEqual([1012, 1012, 1012]);
    // One a second: the last goes about two seconds after the first.
    const times = all.map((c) => c.at);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1500);
    expect(await exited).toBe(0);
  });
});

describe('backpressure', () => {
  it('closes a client that stops reading (4008) while others keep receiving', async () => {
    const gateway = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-bp', WS_MAX_BUFFERED_BYTES: '262144' });
    extraGateways.push(gateway);
    const bulk = await createConversation(alice, 'Bulk', [bob]);
    const big = 'x'.repeat(4000);
    const statuses = await Promise.all(
      Array.from({ length: 150 }, async (_, i) =>
        (await fetch(`${stack.url(0)}/conversations/${bulk.id}/messages`, json({ content: `${i} ${big}`.slice(0, 4000) }, alice.token))).status,
      ),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    const slow = await connect(bob, gateway);
    const healthy = await connect(alice, gateway);
    const sender = await connect(bob, 0);
    // A pong means the socket is registered and follows its conversations (frames wait for that).
    await Promise.all([ask(slow, { type: 'ping' }), ask(healthy, { type: 'ping' })]);
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    // Each sync answers ~650 KB: far more than the kernel buffers and the 256 KiB bound together.
    for (let i = 0; i < 30; i++) slow.send({ type: 'sync', conversation_id: bulk.id, after_seq: 0 });
    await say(sender, team.id, 'while someone is stuck');
    await healthy.next(isMessage('while someone is stuck'), 15_000);
    await waitFor('the slow socket to be closed', async () => (await metric(gateway, 'pneumatic_websocket_slow_consumers_closed_total')) >= 1, 20_000, 200);
    await say(sender, team.id, 'after the close');
    await healthy.next(isMessage('after the close'), 15_000);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect((await slow.closed(20_000)).code).toBe(4008);
  });
});

describe('overload', () => {
  it('answers frames that waited too long with overloaded, and stores exactly the ones it answered', async () => {
    // A 1 ms bound: in a burst, every frame queued behind the first waits longer than that.
    const gateway = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-busy', WS_MAX_FRAME_WAIT_MS: '1' });
    extraGateways.push(gateway);
    const room = await createConversation(alice, 'Busy', [bob]);
    const socket = await connect(alice, gateway);
    const ids = Array.from({ length: 20 }, () => randomUUID());
    for (const id of ids) socket.send({ type: 'message', message_id: id, conversation_id: room.id, content: `burst ${id}`, ref: id });
    const answers = await Promise.all(
      ids.map((id) => socket.next((f) => f.ref === id || (f.type === 'message' && (f.message as Message).message_id === id), 10_000)),
    );
    const refused = answers.filter((f) => f.type === 'error');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((f) => f.code === 'overloaded')).toBe(true);
    const stored = await (await fetch(`${stack.url(0)}/conversations/${room.id}/messages?limit=200`, json(undefined, alice.token, 'GET'))).json();
    const acknowledged = answers.filter((f) => f.type === 'message').map((f) => (f.message as Message).message_id);
    expect((stored.messages as Message[]).map((m) => m.message_id).sort()).toEqual(acknowledged.sort());
  });
});

describe('liveness', () => {
  it('pings, and drops a socket that stops answering', async () => {
    const gateway = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-pinger', WS_PING_INTERVAL_SECONDS: '0.5' });
    extraGateways.push(gateway);
    const answering = await connect(alice, gateway);
    const silent = await connect(bob, gateway);
    await ask(silent, { type: 'ping' });
    (silent.ws as unknown as { _socket: Socket })._socket.pause();
    await waitFor('the silent socket to be dropped', async () => (await metric(gateway, 'pneumatic_websocket_connections_active')) === 1, 10_000, 100);
    (silent.ws as unknown as { _socket: Socket })._socket.resume();
    expect((await silent.closed()).code).toBe(1006);
    expect(await ask(answering, { type: 'ping' })).toMatchObject({ type: 'pong' });
  });
});

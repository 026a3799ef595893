/**
 * Presence against the real processes: two gateways, two presence replicas, a gateway killed
 * with SIGKILL, and a Redis outage (on a private redis-server this suite starts and stops).
 */
import { UserStatusV1, presenceSubjects } from '@pneumatic/contracts';
import {
  createTestContext,
  freePort,
  spawnService,
  startTestStack,
  TestSocket,
  waitFor,
  type ServiceProcess,
  type TestContext,
  type TestStack,
} from '@pneumatic/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';

/** A Redis of this suite's own, so stopping it disturbs no other suite. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('private redis to accept connections', () => canConnect(this.port), 10_000, 50);
  }
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const bearer = (token: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ctx: TestContext;
let redis: PrivateRedis;
let stack: TestStack;
let secondPresence: ServiceProcess;
let env: Record<string, string>;
const statuses: { user_id: string; status: string }[] = [];
const sockets: TestSocket[] = [];
const users: Record<'alice' | 'bob' | 'carol', { id: string; token: string }> = {} as never;
let conversationId: string;

beforeAll(async () => {
  ctx = await createTestContext('e2e_presence');
  redis = new PrivateRedis(await freePort());
  await redis.start();
  env = {
    ...ctx.env,
    REDIS_URL: redis.url,
    PRESENCE_TTL_SECONDS: '5',
    PRESENCE_GRACE_SECONDS: '1',
    PRESENCE_SWEEP_SECONDS: '0.2',
    PRESENCE_HEARTBEAT_SECONDS: '1',
  };
  stack = await startTestStack(env);
  secondPresence = await spawnService('presence', env);
  const bus = await ctx.connectBus('observer');
  bus.subscribe(presenceSubjects.status, UserStatusV1, (e) => statuses.push(e.data));
  await bus.flush();

  const api = stack.url(0);
  for (const name of ['alice', 'bob', 'carol'] as const) {
    const username = `${name}_${randomUUID().slice(0, 8)}`;
    const signup = await fetch(`${api}/auth/signup`, json({ username, password: 'horse-staple-907' }));
    expect(signup.status).toBe(201);
    const { id } = await signup.json();
    const { access_token } = await (await fetch(`${api}/auth/login`, json({ username, password: 'horse-staple-907' }))).json();
    users[name] = { id, token: access_token };
  }
  const created = await fetch(`${api}/conversations`, bearer(users.alice.token, json({ title: 'presence', member_ids: [users.bob.id, users.carol.id] })));
  expect(created.status).toBe(201);
  conversationId = (await created.json()).id;
}, 90_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await Promise.all([stack?.stop(), secondPresence?.stop()]);
  await redis?.stop();
  await ctx?.cleanup();
});

const statusesOf = (userId: string) => statuses.filter((s) => s.user_id === userId).map((s) => s.status);
const open = async (gateway: number | ServiceProcess, who: keyof typeof users, join = false) => {
  const base = typeof gateway === 'number' ? stack.wsUrl(gateway) : `ws://127.0.0.1:${gateway.port}`;
  const ws = await TestSocket.open(`${base}/ws?token=${users[who].token}`);
  sockets.push(ws);
  if (join) {
    ws.send({ type: 'join', conversation_id: conversationId });
    await ws.nextOfType('joined');
  }
  return ws;
};
const presence = async (token: string, ids: string[]) => (await fetch(`${stack.url(0)}/presence?user_ids=${ids.join(',')}`, bearer(token))).json();
const statusFrame = (userId: string, status: string) => (f: { type: string; user_id?: unknown; status?: unknown }) =>
  f.type === 'user_status' && f.user_id === userId && f.status === status;

describe('presence across gateways and presence replicas', () => {
  let watcher: TestSocket;

  it('keeps a user online across devices and announces each transition once to joined sockets', async () => {
    const { alice, bob, carol } = users;
    watcher = await open(1, 'bob', true);
    await waitFor('bob online', () => statusesOf(bob.id).length === 1);

    const phone = await open(0, 'alice');
    const laptop = await open(1, 'alice');
    await watcher.next(statusFrame(alice.id, 'online'), 10_000);
    expect(await presence(bob.token, [alice.id, carol.id])).toEqual({ online: [alice.id] });
    const directory = await (await fetch(`${stack.url(1)}/users?limit=200`, bearer(bob.token))).json();
    const onlineOf = (id: string) => directory.users.find((u: { id: string }) => u.id === id)?.online;
    expect([onlineOf(alice.id), onlineOf(carol.id)]).toEqual([true, false]);
    expect(onlineOf(bob.id)).toBeUndefined(); // the caller is never listed
    watcher.send({ type: 'get_online_users', conversation_id: conversationId });
    const listed = await watcher.nextOfType('online_users');
    expect((listed.users as string[]).sort()).toEqual([alice.id, bob.id].sort());

    phone.close();
    await settle(2_000); // past the 1 s grace and many sweeps of both replicas: the laptop holds her online
    expect(await presence(bob.token, [alice.id])).toEqual({ online: [alice.id] });

    laptop.close();
    await watcher.next(statusFrame(alice.id, 'offline'), 15_000);
    await settle(1_000);
    expect(statusesOf(alice.id)).toEqual(['online', 'offline']);
    expect(watcher.frames.filter((f) => f.type === 'user_status' && f.user_id === alice.id).map((f) => f.status)).toEqual(['online', 'offline']);
    expect(await presence(bob.token, [alice.id])).toEqual({ online: [] });
  });

  it('does not flap when a device reconnects to another gateway within the grace period', async () => {
    const { carol } = users;
    const first = await open(0, 'carol');
    await waitFor('carol online', () => statusesOf(carol.id).length === 1, 10_000);
    first.close();
    const second = await open(1, 'carol');
    await settle(2_500);
    expect(statusesOf(carol.id)).toEqual(['online']);
    second.close();
    await waitFor('carol offline', () => statusesOf(carol.id).length === 2, 15_000);
    expect(statusesOf(carol.id)).toEqual(['online', 'offline']);
  });

  it('takes the users of a SIGKILLed gateway offline when their leases expire', async () => {
    const { carol } = users;
    const doomed = await spawnService('gateway', { ...env, GATEWAY_ID: 'doomed' });
    try {
      await open(doomed, 'carol');
      await watcher.next(statusFrame(carol.id, 'online'), 10_000, watcher.frames.length);
      const beforeCrash = watcher.frames.length;
      doomed.child.kill('SIGKILL');
      // TTL 5 s after the last heartbeat, then the 1 s grace.
      await waitFor('carol offline after the crash', () => statusesOf(carol.id).length === 4, 20_000);
      await settle(1_000);
      expect(statusesOf(carol.id)).toEqual(['online', 'offline', 'online', 'offline']);
      await watcher.next(statusFrame(carol.id, 'offline'), 5_000, beforeCrash);
    } finally {
      await doomed.stop('SIGKILL');
    }
  });

  it('keeps messaging while Redis is down, answers degraded, and recovers when Redis returns', async () => {
    const { alice, bob } = users;
    const sender = await open(0, 'alice', true);
    await waitFor('alice online again', () => statusesOf(alice.id).length === 3, 10_000);

    await redis.stop();
    const degraded = await waitFor('a degraded answer', async () => {
      const body = await presence(bob.token, [alice.id, bob.id]);
      return body.degraded === true ? body : undefined;
    }, 15_000);
    expect(degraded).toEqual({ online: [], degraded: true });

    const messageId = randomUUID();
    sender.send({ type: 'message', message_id: messageId, conversation_id: conversationId, content: 'still here' });
    const received = await watcher.next((f) => f.type === 'message' && (f.message as { message_id: string }).message_id === messageId, 10_000);
    expect(received.message).toMatchObject({ content: 'still here', sender_id: alice.id });

    await redis.start(); // empty: the gateways' heartbeats rebuild the leases
    const recovered = await waitFor('presence answers again', async () => {
      const body = await presence(bob.token, [alice.id, bob.id]);
      return body.degraded === undefined && body.online.length === 2 ? body : undefined;
    }, 20_000);
    expect(recovered.online.sort()).toEqual([alice.id, bob.id].sort());
  });
});

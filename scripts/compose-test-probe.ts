/**
 * The client half of `npm run test:compose` (scripts/compose-test.sh): talks to the compose stack
 * through nginx's published port, as a user would, and throws on the first thing that is wrong.
 *   first: health and ready, two sign-ups and logins, a conversation, one socket per user on different
 *          gateways, a message both receive, a retry answered with the original, history holding it once,
 *          Prometheus scraping every target; remembers the users and the message (COMPOSE_TEST_STATE).
 *   again: after crashes, restarts or down and up: both users log in, the history still holds the
 *          message once, and a new message reaches both.
 */
import { jsonRequest, TestSocket, waitFor, type Frame } from '@pneumatic/testkit';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const url = need('COMPOSE_TEST_URL');
const prometheus = need('COMPOSE_TEST_PROMETHEUS');
const statePath = need('COMPOSE_TEST_STATE');
const [docker, ...dockerArgs] = need('COMPOSE_TEST_DOCKER').split(' ');
// gateway-1=<container id>,gateway-2=<container id>
const gateways = need('COMPOSE_TEST_GATEWAYS')
  .split(',')
  .map((pair) => pair.split('=') as [string, string]);

interface User {
  username: string;
  password: string;
  id: string;
}
interface State {
  users: User[];
  conversationId: string;
  messageId: string;
}
interface Message {
  id: string;
  message_id: string;
  conversation_id: string;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run npm run test:compose)`);
  return value;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
  console.log(`  ok: ${what}`);
}

async function call(path: string, init: RequestInit = {}, token?: string): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  const response = await fetch(`${url}${path}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function expectStatus(path: string, status: number, init?: RequestInit, token?: string): Promise<Record<string, unknown>> {
  const answer = await call(path, init, token);
  if (answer.status !== status) {
    throw new Error(`${init?.method ?? 'GET'} ${path}: ${answer.status} ${JSON.stringify(answer.body)}, expected ${status}`);
  }
  return answer.body as Record<string, unknown>;
}

async function logIn(user: User): Promise<string> {
  const body = await expectStatus('/auth/login', 200, jsonRequest({ username: user.username, password: user.password }));
  return body.access_token as string;
}

/** Open sockets per gateway, read from each gateway's own /metrics inside its container. */
function socketsPerGateway(): Map<string, number> {
  const script =
    "fetch('http://127.0.0.1:8000/metrics').then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))";
  const counts = new Map<string, number>();
  for (const [name, container] of gateways) {
    const metrics = execFileSync(docker, [...dockerArgs, 'exec', container, 'node', '-e', script], { encoding: 'utf8' });
    const line = /^pneumatic_websocket_connections_active(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    if (!line) throw new Error(`${name} /metrics has no pneumatic_websocket_connections_active`);
    counts.set(name, Number(line[1]));
  }
  return counts;
}

const openSockets = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Opens a socket for the token and waits until a gateway counts it: that gateway's name. */
async function openCounted(token: string, before: Map<string, number>): Promise<{ socket: TestSocket; gateway: string }> {
  const socket = await TestSocket.open(`${url.replace(/^http/, 'ws')}/ws?token=${token}`);
  const gateway = await waitFor(
    'a gateway to count the new socket',
    () => {
      const now = socketsPerGateway();
      if (openSockets(now) !== openSockets(before) + 1) return undefined;
      return [...now].find(([name, n]) => n > (before.get(name) ?? 0))?.[0];
    },
    10_000,
    200,
  );
  return { socket, gateway };
}

/** One socket per user, on different gateways: nginx takes the replicas in turn, so a few tries suffice. */
async function socketsOnTwoGateways(aliceToken: string, bobToken: string): Promise<[TestSocket, TestSocket]> {
  const alice = await openCounted(aliceToken, socketsPerGateway());
  for (let attempt = 1; attempt <= 10; attempt++) {
    const before = socketsPerGateway();
    const bob = await openCounted(bobToken, before);
    if (bob.gateway !== alice.gateway) {
      check(true, `sockets on two gateways (${alice.gateway}, ${bob.gateway})`);
      return [alice.socket, bob.socket];
    }
    bob.socket.close();
    await waitFor('the extra socket to close', () => openSockets(socketsPerGateway()) === openSockets(before), 10_000, 200);
  }
  throw new Error(`every socket landed on ${alice.gateway}: nginx does not spread over the gateways`);
}

const isMessage = (messageId: string) => (f: Frame) => f.type === 'message' && (f.message as Message).message_id === messageId;

/**
 * A socket's frames are handled once the gateway has registered it and subscribed to its user's
 * conversations, so a `pong` says it hears them; a message sent before that would reach a member's
 * socket only by `sync`, as a client catches up after connecting.
 */
async function hearing(sockets: TestSocket[]): Promise<void> {
  await Promise.all(
    sockets.map((s) => {
      const ref = randomUUID();
      s.send({ type: 'ping', ref });
      return s.next((f) => f.type === 'pong' && f.ref === ref, 10_000);
    }),
  );
}

async function sendAndReceive(sockets: TestSocket[], conversationId: string, content: string): Promise<Message> {
  await hearing(sockets);
  const messageId = randomUUID();
  sockets[0].send({ type: 'message', message_id: messageId, conversation_id: conversationId, content });
  const received = await Promise.all(sockets.map((s) => s.next(isMessage(messageId), 10_000)));
  const ids = new Set(received.map((f) => (f.message as Message).id));
  check(ids.size === 1, `message ${messageId} received by both users`);
  return received[0].message as Message;
}

async function historyCount(token: string, conversationId: string, messageId: string): Promise<number> {
  const body = await expectStatus(`/conversations/${conversationId}/messages?limit=200`, 200, {}, token);
  return (body.messages as Message[]).filter((m) => m.message_id === messageId).length;
}

async function everyTargetScraped(): Promise<void> {
  const down = await waitFor(
    'Prometheus to scrape every target as up',
    async () => {
      const body = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
        data: { activeTargets: { scrapeUrl: string; health: string }[] };
      };
      const targets = body.data.activeTargets;
      return targets.length > 0 && targets.every((t) => t.health === 'up') ? targets : undefined;
    },
    30_000,
    1000,
  );
  check(true, `Prometheus scrapes ${down.length} targets, every one up`);
}

async function first(): Promise<void> {
  check((await expectStatus('/health', 200)).status === 'healthy', '/health through nginx');
  check((await expectStatus('/ready', 200)).status === 'ready', '/ready through nginx');
  const suffix = randomBytes(4).toString('hex');
  const users: User[] = [];
  for (const name of ['alice', 'bob']) {
    const user = { username: `${name}_${suffix}`, password: `compose-${randomBytes(8).toString('hex')}`, id: '' };
    const body = await expectStatus('/auth/signup', 201, jsonRequest({ username: user.username, password: user.password }));
    users.push({ ...user, id: body.id as string });
  }
  const [aliceToken, bobToken] = [await logIn(users[0]), await logIn(users[1])];
  check(true, 'two sign-ups and logins');
  const conversation = await expectStatus('/conversations', 201, jsonRequest({ title: 'compose', member_ids: [users[1].id] }), aliceToken);
  const conversationId = conversation.id as string;
  check(true, `conversation ${conversationId}`);

  const sockets = await socketsOnTwoGateways(aliceToken, bobToken);
  const original = await sendAndReceive(sockets, conversationId, 'hello through compose');
  const ref = randomUUID();
  sockets[0].send({ type: 'message', message_id: original.message_id, conversation_id: conversationId, content: 'hello through compose', ref });
  const retry = await sockets[0].next((f) => f.ref === ref, 10_000);
  check(retry.type === 'message' && (retry.message as Message).id === original.id, 'a retry with the same message_id answered with the original');
  check((await historyCount(bobToken, conversationId, original.message_id)) === 1, 'history holds the message once');
  sockets.forEach((s) => s.close());
  await everyTargetScraped();

  const state: State = { users, conversationId, messageId: original.message_id };
  writeFileSync(statePath, JSON.stringify(state));
}

async function again(): Promise<void> {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
  const [aliceToken, bobToken] = [await logIn(state.users[0]), await logIn(state.users[1])];
  check(true, 'both users log in again');
  check((await historyCount(aliceToken, state.conversationId, state.messageId)) === 1, 'history still holds the message once');
  const sockets = await Promise.all([aliceToken, bobToken].map((t) => TestSocket.open(`${url.replace(/^http/, 'ws')}/ws?token=${t}`)));
  await sendAndReceive(sockets, state.conversationId, 'still here');
  sockets.forEach((s) => s.close());
}

const phases: Record<string, () => Promise<void>> = { first, again };
const phase = phases[process.argv[2] ?? ''];
if (!phase) throw new Error(`usage: compose-test-probe.js ${Object.keys(phases).join('|')}`);
phase().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`compose-test: probe ${process.argv[2]} failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

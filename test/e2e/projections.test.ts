/**
 * Summaries and unread counts through the real processes (relay -> JetStream -> projection), the
 * AsyncAPI document on the gateway, and the rebuild command run against the live stack.
 */
import { createTestContext, startTestStack, waitFor, type TestContext, type TestStack } from '@pneumatic/testkit';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

let ctx: TestContext;
let stack: TestStack;

beforeAll(async () => {
  ctx = await createTestContext('e2e_projections');
  stack = await startTestStack(ctx.env, 1);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  // The services' relays created the suite's events stream; delete it with the suite.
  const { EventStream } = await import('@pneumatic/platform');
  const stream = await EventStream.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'e2e-cleanup', logger: ctx.logger });
  await stream.destroy();
  await stream.close();
  await ctx?.cleanup();
});

const post = (token: string, body: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});
const get = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function user(api: string, username: string): Promise<{ id: string; token: string }> {
  await fetch(`${api}/auth/signup`, post('', { username, password: 'horse-staple-907' }));
  const { access_token } = await (await fetch(`${api}/auth/login`, post('', { username, password: 'horse-staple-907' }))).json();
  const { id } = await (await fetch(`${api}/auth/me`, get(access_token))).json();
  return { id, token: access_token };
}

const runProjections = (...args: string[]) =>
  promisify(execFile)(process.execPath, [path.resolve(__dirname, '..', '..', 'scripts', 'dist', 'projections.js'), ...args], {
    env: { ...process.env, ...ctx.env, LOG_LEVEL: 'warn' },
  });

it('lists conversations with last message and unread count, newest activity first, and rebuilds them unchanged', async () => {
  const api = stack.url(0);
  const [alice, bob] = [await user(api, 'alice_p'), await user(api, 'bob_p')];
  const create = async (title: string) =>
    (await (await fetch(`${api}/conversations`, post(alice.token, { title, member_ids: [bob.id], kind: 'group' }))).json()).id as string;
  const older = await create('older');
  const newer = await create('newer');
  for (const content of ['one', 'two']) {
    const res = await fetch(`${api}/messages`, post(bob.token, { message_id: randomUUID(), sender_id: bob.id, conversation_id: older, content }));
    expect(res.status).toBe(201);
  }

  const list = async () => (await (await fetch(`${api}/conversations`, get(alice.token))).json()).conversations as Record<string, unknown>[];
  const listed = await waitFor('the summary of the older conversation', async () => {
    const l = await list();
    return l[0]?.id === older && l[0].unread_count === 2 ? l : false;
  }, 15_000);
  expect(listed.map((c) => c.id)).toEqual([older, newer]);
  expect(listed[0]).toMatchObject({ last_seq: 2, last_message: { content: 'two', sender_id: bob.id } });

  expect(await fetch(`${api}/conversations/${older}/read`, post(alice.token, { seq: 2 })).then((r) => r.status)).toBe(204);
  await waitFor('the read to clear the unread count', async () => (await list())[0]?.unread_count === 0, 15_000);
  const conversations = stack.services.find((s) => s.name === 'conversations')!;
  const metrics = await (await fetch(`http://127.0.0.1:${conversations.port}/metrics`)).text();
  expect(metrics).toMatch(/^pneumatic_projection_lag_seconds\{[^}]*projection="conversation_summaries"[^}]*\} [\d.e-]+$/m);

  const before = await list();
  expect((await runProjections('rebuild', 'conversation_summaries')).stdout).toMatch(/rebuilt from \d+ events/);
  expect((await runProjections('rebuild', 'history')).stdout).toMatch(/rebuilt from \d+ events/);
  expect((await runProjections('verify', 'history')).stdout).toMatch(/0 rows differ/);
  expect((await runProjections('rebuild', 'user_directory')).stdout).toMatch(/user_directory: rebuilt from \d+ events and \d+ users listed by auth/);
  await waitFor('the rebuilt summaries to equal the live ones', async () => JSON.stringify(await list()) === JSON.stringify(before), 15_000);
}, 60_000);

it('serves the AsyncAPI document of every NATS subject', async () => {
  const res = await fetch(`${stack.url(0)}/asyncapi.json`);
  expect(res.status).toBe(200);
  const doc = await res.json();
  expect(doc.asyncapi).toBe('3.0.0');
  expect(Object.values(doc.channels).map((c) => (c as { address: string }).address)).toEqual(
    expect.arrayContaining(['messages.send', 'chat.conv.{conversation_id}.message', 'events.messages.{type}']),
  );
});

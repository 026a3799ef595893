/**
 * TRUSTED_PROXIES and security events through the real gateway process: whose X-Forwarded-For
 * decides the client address of the login limit, and the one log line plus one count per event;
 * and hostile requests whose fixes lacked a test: each is answered and the gateway keeps serving.
 */
import { createTestContext, spawnService, startTestStack, TestSocket, waitFor, type ServiceProcess, type TestContext, type TestStack } from '@pneumatic/testkit';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';

const password = 'correct-horse-battery';
const wrongPassword = 'not-the-password-3141';
// Light argon2 costs keep the suite fast.
const lightArgon2 = { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '2' };

let ctx: TestContext;
let stack: TestStack;
let untrusting: ServiceProcess;

beforeAll(async () => {
  ctx = await createTestContext('e2e_security');
  stack = await startTestStack({ ...ctx.env, ...lightArgon2, TRUSTED_PROXIES: 'loopback' }, 1);
  untrusting = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'untrusting' });
}, 60_000);

afterAll(async () => {
  await untrusting?.stop();
  await stack?.stop();
  await ctx?.cleanup();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const login = (api: string, username: string, secret: string, forwardedFor: string) =>
  post(`${api}/auth/login`, { username, password: secret }, { 'X-Forwarded-For': forwardedFor });

async function signup(username: string): Promise<{ id: string; token: string }> {
  const created = await post(`${stack.url()}/auth/signup`, { username, password });
  expect(created.status).toBe(201);
  const { id } = await created.json();
  const pair = await (await post(`${stack.url()}/auth/login`, { username, password })).json();
  return { id, token: pair.access_token };
}

async function failTenTimes(api: string, username: string, forwardedFor: string): Promise<void> {
  for (let i = 0; i < 10; i++) expect((await login(api, username, wrongPassword, forwardedFor)).status).toBe(401);
}

async function securityCount(event: string): Promise<number> {
  const text = await (await fetch(`${stack.url()}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pneumatic_security_events_total{') && l.includes(`event="${event}"`));
  return Number(line?.split(' ').pop() ?? NaN);
}

const gatewayLog = () => stack.gateways[0]!.output.join('');
const securityLines = () =>
  gatewayLog()
    .split('\n')
    .filter((line) => line.includes('"event":'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('TRUSTED_PROXIES', () => {
  it('behind a trusted proxy, ten wrong passwords lock only the forwarded address', async () => {
    await signup('trusted_victim');
    await failTenTimes(stack.url(), 'trusted_victim', '203.0.113.7');
    expect((await login(stack.url(), 'trusted_victim', password, '203.0.113.7')).status).toBe(429);
    expect((await login(stack.url(), 'trusted_victim', password, '203.0.113.8')).status).toBe(200);
  });

  it('with no trusted proxy, X-Forwarded-For is ignored and the peer address is locked', async () => {
    const api = `http://127.0.0.1:${untrusting.port}`;
    await signup('untrusted_victim');
    await failTenTimes(api, 'untrusted_victim', '203.0.113.7');
    expect((await login(api, 'untrusted_victim', password, '203.0.113.8')).status).toBe(429);
  });
});

describe('security events', () => {
  it('logs and counts a wrong password, forged tokens on HTTP and WS and a not_a_member read, without the password', async () => {
    const owner = await signup('events_owner');
    const outsider = await signup('events_outsider');
    const before = {
      login_failed: await securityCount('login_failed'),
      token_invalid: await securityCount('token_invalid'),
      not_a_member: await securityCount('not_a_member'),
    };

    expect((await login(stack.url(), 'events_outsider', wrongPassword, '203.0.113.9')).status).toBe(401);
    const forged = `${owner.token.slice(0, -4)}AAAA`;
    expect((await fetch(`${stack.url()}/auth/me`, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401);
    const socket = await TestSocket.open(`${stack.wsUrl()}/ws?token=${forged}`, { headers: { 'X-Forwarded-For': '203.0.113.10' } });
    await socket.closed();
    const created = await post(`${stack.url()}/conversations`, { title: 'Private', member_ids: [], kind: 'group' }, { Authorization: `Bearer ${owner.token}` });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const read = await fetch(`${stack.url()}/conversations/${id}/messages`, { headers: { Authorization: `Bearer ${outsider.token}` } });
    expect(read.status).toBe(403);

    await waitFor('the security counters', async () =>
      (await securityCount('login_failed')) === before.login_failed + 1 &&
      (await securityCount('token_invalid')) === before.token_invalid + 2 &&
      (await securityCount('not_a_member')) === before.not_a_member + 1);
    expect(await securityCount('login_locked')).toBeGreaterThanOrEqual(1);

    const lines = await waitFor('the security log lines', () => {
      const found = securityLines();
      return found.some((l) => l.event === 'not_a_member') ? found : undefined;
    });
    expect(lines).toContainEqual(expect.objectContaining({ event: 'login_failed', username: 'events_outsider', client: '203.0.113.9' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'login_locked', username: 'trusted_victim', client: '203.0.113.7' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'token_invalid', client: '203.0.113.10' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'not_a_member', user_id: outsider.id }));
    const log = gatewayLog();
    expect(log).not.toContain(wrongPassword);
    expect(log).not.toContain(forged);
  });
});

describe('hostile requests', () => {
  it('answers a malformed percent-escape in a path 404 not_found', async () => {
    const { token } = await signup('escape_reader');
    for (const id of ['%zz', '%E0%A4%A']) {
      const res = await fetch(`${stack.url()}/conversations/${id}/messages`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'not_found' });
    }
  });

  it('answers a truncated gzip body 400 invalid_json', async () => {
    const gzipped = gzipSync(JSON.stringify({ username: 'truncated_gzip', password }));
    const res = await fetch(`${stack.url()}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipped.subarray(0, gzipped.length - 12),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_json' });
  });

  it('drops a WebSocket upgrade whose target `http://[/ws` is no URL, and keeps serving', async () => {
    const gateway = new URL(stack.url());
    const socket = connect(Number(gateway.port), gateway.hostname);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      'GET http://[/ws HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await closed;
    expect((await fetch(`${stack.url()}/health`)).status).toBe(200);
  });
});

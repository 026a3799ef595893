/**
 * Login sessions end everywhere at once, and a socket lives no longer than its token, against
 * the real processes over real Postgres, NATS and Redis. Two worlds: a full stack with two
 * gateways and the default token lifetime (logout, refresh-token reuse, a gateway started later),
 * and auth, conversations and one gateway issuing 5-second access tokens (expiry, `auth` frame).
 */
import { createTestContext, spawnService, startTestStack, TestSocket, waitFor, type ServiceProcess, type TestContext, type TestStack } from '@pneumatic/testkit';
import jwt from 'jsonwebtoken';

const password = 'correct-horse-battery';
const shortTtlSeconds = 5;
// Light argon2 costs keep the suites fast.
const lightArgon2 = { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '2' };

interface Pair {
  access_token: string;
  refresh_token: string;
}

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const expiryOf = (token: string) => (jwt.decode(token) as { exp: number }).exp * 1000;

/** Client calls against one gateway. */
function client(api: string) {
  return {
    async signup(username: string): Promise<string> {
      const res = await post(`${api}/auth/signup`, { username, password });
      expect(res.status).toBe(201);
      return (await res.json()).id;
    },
    async login(username: string): Promise<Pair> {
      const res = await post(`${api}/auth/login`, { username, password });
      expect(res.status).toBe(200);
      return res.json();
    },
    refresh: (refreshToken: string) => post(`${api}/auth/refresh`, { refresh_token: refreshToken }),
    async logout({ access_token, refresh_token }: Pair): Promise<void> {
      expect((await post(`${api}/auth/logout`, { refresh_token }, access_token)).status).toBe(204);
    },
    me: (token: string) => fetch(`${api}/auth/me`, bearer(token)),
  };
}

const sockets: TestSocket[] = [];
afterAll(() => sockets.forEach((s) => s.close()));

async function open(url: string): Promise<TestSocket> {
  const socket = await TestSocket.open(url);
  sockets.push(socket);
  return socket;
}

/** Open and authenticated: a pong proves the server is talking to this socket. */
async function openLive(url: string): Promise<TestSocket> {
  const socket = await open(url);
  socket.send({ type: 'ping', ref: 'live' });
  await socket.next((f) => f.type === 'pong' && f.ref === 'live');
  return socket;
}

/** Answers a ping sent now, i.e. is still open and served. */
async function stillServed(socket: TestSocket, ref: string): Promise<void> {
  socket.send({ type: 'ping', ref });
  await socket.next((f) => f.type === 'pong' && f.ref === ref);
  expect(socket.closeCode).toBeUndefined();
}

describe('ending a login session (two gateways, default token lifetime)', () => {
  let ctx: TestContext;
  let stack: TestStack;
  const late: ServiceProcess[] = [];
  let api: ReturnType<typeof client>;
  let conversationId: string;

  beforeAll(async () => {
    ctx = await createTestContext('e2e_sessions');
    stack = await startTestStack({ ...ctx.env, ...lightArgon2 });
    api = client(stack.url(0));
    await api.signup('leaving_lee');
    const otherId = await api.signup('staying_sam');
    const { access_token } = await api.login('leaving_lee');
    const created = await post(`${stack.url(0)}/conversations`, { title: 'lee & sam', member_ids: [otherId] }, access_token);
    expect(created.status).toBe(201);
    conversationId = (await created.json()).id;
  }, 60_000);

  afterAll(async () => {
    if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
    await Promise.all(late.map((p) => p.stop()));
    await stack?.stop();
    await ctx?.cleanup();
  });

  /** One login's sockets: /ws on each gateway and a conversation socket on the second. */
  async function socketsOf(pair: Pair): Promise<TestSocket[]> {
    const token = pair.access_token;
    return Promise.all([
      openLive(`${stack.wsUrl(0)}/ws?token=${token}`),
      openLive(`${stack.wsUrl(1)}/ws?token=${token}`),
      (async () => {
        const scoped = await open(`${stack.wsUrl(1)}/conversations/${conversationId}/ws?token=${token}`);
        await scoped.nextOfType('connection');
        return scoped;
      })(),
    ]);
  }

  async function expectEnded(pair: Pair, socketsOfPair: TestSocket[], reason: string): Promise<void> {
    for (const socket of socketsOfPair) expect(await socket.closed(10_000)).toEqual({ code: 1008, reason });
    for (const i of [0, 1]) {
      const res = await client(stack.url(i)).me(pair.access_token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await res.json()).detail).toBe('session ended');
    }
  }

  it('logout: the access token gets 401 on every gateway and the sockets of that login close 1008 on both', async () => {
    const pair = await api.login('leaving_lee');
    const other = await api.login('leaving_lee');
    const ended = await socketsOf(pair);
    const untouched = await openLive(`${stack.wsUrl(1)}/ws?token=${other.access_token}`);

    await api.logout(pair);
    await expectEnded(pair, ended, 'session ended: logged out');
    // Another login of the same user is another session, and lives on.
    await stillServed(untouched, 'other-login');
    expect((await client(stack.url(1)).me(other.access_token)).status).toBe(200);
  });

  it('refresh-token reuse: every access token of the family gets 401 and its sockets close 1008', async () => {
    const first = await api.login('leaving_lee');
    const rotated = await (await api.refresh(first.refresh_token)).json();
    const ended = [...(await socketsOf(first)), await openLive(`${stack.wsUrl(0)}/ws?token=${rotated.access_token}`)];

    expect((await api.refresh(first.refresh_token)).status).toBe(401);
    await expectEnded(first, ended, 'session ended: refresh token reused');
    expect((await api.me(rotated.access_token)).status).toBe(401);
  });

  it('a gateway started after the logout refuses the ended session too', async () => {
    const pair = await api.login('leaving_lee');
    await api.logout(pair);
    const gateway = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'gateway-late' });
    late.push(gateway);
    const url = `127.0.0.1:${gateway.port}`;
    expect((await client(`http://${url}`).me(pair.access_token)).status).toBe(401);
    const socket = await open(`ws://${url}/ws?token=${pair.access_token}`);
    expect(await socket.closed(10_000)).toEqual({ code: 1008, reason: 'authentication failed: session ended' });
    const fresh = await api.login('leaving_lee');
    expect((await client(`http://${url}`).me(fresh.access_token)).status).toBe(200);
  });
});

describe(`a socket lives no longer than its token (${shortTtlSeconds}-second access tokens)`, () => {
  let ctx: TestContext;
  let services: ServiceProcess[] = [];
  let wsUrl: string;
  let api: ReturnType<typeof client>;
  let conversationId: string;

  beforeAll(async () => {
    ctx = await createTestContext('e2e_sessions_ttl');
    const env = { ...ctx.env, ...lightArgon2, ACCESS_TOKEN_TTL_SECONDS: String(shortTtlSeconds) };
    services = await Promise.all([spawnService('auth', env), spawnService('conversations', env)]);
    const gateway = await spawnService('gateway', env);
    services.push(gateway);
    wsUrl = `ws://127.0.0.1:${gateway.port}`;
    api = client(`http://127.0.0.1:${gateway.port}`);
    await api.signup('brief_bea');
    const otherId = await api.signup('other_otto');
    const { access_token } = await api.login('brief_bea');
    const created = await post(`http://127.0.0.1:${gateway.port}/conversations`, { title: 'bea & otto', member_ids: [otherId] }, access_token);
    expect(created.status).toBe(201);
    conversationId = (await created.json()).id;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(services.map((p) => p.stop()));
    await ctx?.cleanup();
  });

  /** A second token of the same login whose expiry is at least two seconds after `pair`'s. */
  async function laterToken(pair: Pair): Promise<Pair> {
    const after = expiryOf(pair.access_token) + 2000;
    await waitFor('a later expiry second', () => Math.floor(Date.now() / 1000) * 1000 + shortTtlSeconds * 1000 >= after, 5000, 50);
    const res = await api.refresh(pair.refresh_token);
    expect(res.status).toBe(200);
    return res.json();
  }

  it('closes a socket whose token expired with 1008 "token expired", not before', async () => {
    const { access_token } = await api.login('brief_bea');
    const socket = await openLive(`${wsUrl}/ws?token=${access_token}`);
    expect(await socket.closed(shortTtlSeconds * 1000 + 5000)).toEqual({ code: 1008, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(access_token));
  });

  it.each([
    ['/ws', () => '/ws'],
    ['/conversations/{id}/ws', () => `/conversations/${conversationId}/ws`],
  ])('the auth frame on %s renews the socket until the new token expires', async (_name, path) => {
    const pair = await api.login('brief_bea');
    const socket = await open(`${wsUrl}${path()}?token=${pair.access_token}`);
    const fresh = await laterToken(pair);
    socket.send({ type: 'auth', token: fresh.access_token, ref: 'renew' });
    const reply = await socket.nextOfType('authenticated');
    expect(reply).toEqual({ type: 'authenticated', expires_at: new Date(expiryOf(fresh.access_token)).toISOString(), ref: 'renew' });

    await waitFor('the first token to expire', () => Date.now() > expiryOf(pair.access_token) + 300, 10_000, 50);
    if (path() === '/ws') await stillServed(socket, 'after-first-expiry');
    else expect(socket.closeCode).toBeUndefined();
    expect(await socket.closed(10_000)).toEqual({ code: 1008, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(fresh.access_token));
  });

  it('closes with 1008 when the auth frame carries another user\'s token', async () => {
    const mine = await api.login('brief_bea');
    const theirs = await api.login('other_otto');
    const socket = await openLive(`${wsUrl}/ws?token=${mine.access_token}`);
    socket.send({ type: 'auth', token: theirs.access_token });
    expect(await socket.closed()).toEqual({ code: 1008, reason: 'token of another user' });
  });

  it.each([
    ['a token that is not one', 'not-a-token', 'authentication failed: invalid token'],
    ['a refresh token', '', 'authentication failed: not an access token'],
  ])('closes with 1008 when the auth frame carries %s', async (_name, token, reason) => {
    const pair = await api.login('brief_bea');
    const socket = await openLive(`${wsUrl}/ws?token=${pair.access_token}`);
    socket.send({ type: 'auth', token: token || pair.refresh_token });
    expect(await socket.closed()).toEqual({ code: 1008, reason });
  });
});

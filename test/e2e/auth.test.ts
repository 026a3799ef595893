/**
 * Accounts, tokens and rate limits against the real processes: auth and the other services, one
 * gateway with the default (generous) limits, and two replicas with low limits sharing a Redis
 * key space of their own, so their counters hold across replicas and the rest stays unthrottled.
 */
import { UserRegisteredV1, eventSubjects } from '@pneumatic/contracts';
import { createTestContext, spawnService, startTestStack, TestSocket, waitFor, type ServiceProcess, type TestContext, type TestStack } from '@pneumatic/testkit';
import jwt from 'jsonwebtoken';
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const pemOf = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const keyA = newKey();
const keyB = newKey();

let ctx: TestContext;
let stack: TestStack;
let env: Record<string, string>;
let limited: ServiceProcess[] = [];
const extra: ServiceProcess[] = [];
const password = 'correct-horse-battery';
const issuedTokens: string[] = [];

beforeAll(async () => {
  ctx = await createTestContext('e2e_auth');
  // Light argon2 costs keep the suite fast; the login latency with the defaults is measured separately.
  env = { ...ctx.env, AUTH_SIGNING_KEY: pemOf(keyA), ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '2' };
  stack = await startTestStack(env, 1);
  const lowLimits = {
    ...env,
    REDIS_KEY_PREFIX: `${ctx.redisPrefix}limited:`,
    RATE_LIMIT_PER_IP: '40',
    RATE_LIMIT_PER_USER: '5',
    RATE_LIMIT_LOGIN_ATTEMPTS: '3',
  };
  limited = await Promise.all([1, 2].map((i) => spawnService('gateway', { ...lowLimits, GATEWAY_ID: `limited-${i}` })));
}, 60_000);

afterAll(async () => {
  await Promise.all([...limited, ...extra].map((p) => p.stop()));
  await stack?.stop();
  await ctx?.cleanup();
});

const api = (i = 0) => stack.url(i);
const limitedUrl = (i: number) => `http://127.0.0.1:${limited[i]!.port}`;
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function signup(username: string, base = api()) {
  const res = await post(`${base}/auth/signup`, { username, password });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; username: string; full_name: string | null };
}

async function login(username: string, base = api()) {
  const res = await post(`${base}/auth/login`, { username, password });
  expect(res.status).toBe(200);
  const pair = (await res.json()) as { access_token: string; refresh_token: string };
  issuedTokens.push(pair.access_token, pair.refresh_token);
  return pair;
}

describe('sign-up', () => {
  it('creates an account and announces it as a UserRegistered event', async () => {
    const bus = await ctx.connectBus();
    const events: z.infer<typeof UserRegisteredV1>[] = [];
    bus.subscribe(eventSubjects.userRegistered, UserRegisteredV1, (e) => events.push(e));
    await bus.flush();
    const res = await post(`${api()}/auth/signup`, { username: 'Ada.L', password, full_name: 'Ada Lovelace' });
    expect(res.status).toBe(201);
    const user = await res.json();
    expect(user).toEqual({ id: expect.any(String), username: 'Ada.L', full_name: 'Ada Lovelace' });
    const event = await waitFor('user.registered', () => events.find((e) => e.data.user.id === user.id));
    expect(event).toMatchObject({ type: 'user.registered', version: 1, data: { user } });
  });

  it('refuses a taken name in any case with 409', async () => {
    await signup('taken_name');
    const res = await post(`${api()}/auth/signup`, { username: 'TAKEN_NAME', password });
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toContain('already registered');
  });

  it.each([
    ['username', { username: 'ab', password }],
    ['username', { username: 'has space', password }],
    ['username', { username: 'x'.repeat(33), password }],
    ['password', { username: 'valid_name', password: 'short' }],
    ['password', { username: 'valid_name', password: 'p'.repeat(129) }],
    ['password', { username: 'valid_name' }],
    ['full_name', { username: 'valid_name', password, full_name: 'n'.repeat(101) }],
  ])('answers 422 naming %s', async (field, body) => {
    const res = await post(`${api()}/auth/signup`, body);
    expect(res.status).toBe(422);
    const error = await res.json();
    expect(error.code).toBe('validation_error');
    expect(error.detail).toContain(field);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const malformed = await fetch(`${api()}/auth/signup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":' });
    expect(malformed.status).toBe(400);
    const huge = await post(`${api()}/auth/signup`, { username: 'big', password, full_name: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
  });
});

describe('login, refresh, logout, me', () => {
  let user: { id: string };
  beforeAll(async () => {
    user = await signup('Lena');
  });

  it('logs in (whatever the case of the name) with ES256 tokens carrying every claim', async () => {
    const pair = await login('lena');
    const access = jwt.decode(pair.access_token, { complete: true })!;
    expect(access.header).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    const claims = access.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: user.id, typ: 'access', iss: 'pneumatic-auth', aud: 'pneumatic', jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBe(1800);
    const refresh = jwt.decode(pair.refresh_token) as jwt.JwtPayload;
    expect(refresh).toMatchObject({ typ: 'refresh' });
    expect(refresh.exp! - refresh.iat!).toBe(604_800);
  });

  it('answers an unknown user and a wrong password identically', async () => {
    const wrong = await post(`${api()}/auth/login`, { username: 'Lena', password: 'wrong-password' });
    const unknown = await post(`${api()}/auth/login`, { username: 'nobody_here', password });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const body = await wrong.json();
    expect(body.detail.toLowerCase()).toContain('incorrect');
    expect(await unknown.json()).toEqual(body);
  });

  it('validates login bodies with 422 naming the field', async () => {
    const res = await post(`${api()}/auth/login`, { username: 'Lena' });
    expect(res.status).toBe(422);
    expect((await res.json()).detail).toContain('password');
  });

  it('logs in with the OAuth2 form at /auth/token', async () => {
    const res = await fetch(`${api()}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'Lena', password }).toString(),
    });
    expect(res.status).toBe(200);
    const pair = await res.json();
    issuedTokens.push(pair.access_token, pair.refresh_token);
    expect(pair).toMatchObject({ token_type: 'bearer' });
    const me = await fetch(`${api()}/auth/me`, bearer(pair.access_token));
    expect(await me.json()).toEqual({ id: user.id, username: 'Lena', full_name: null });
  });

  it('rotates refresh tokens; reusing a spent one revokes the family', async () => {
    const first = await login('Lena');
    const res = await post(`${api()}/auth/refresh`, { refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    const second = await res.json();
    issuedTokens.push(second.access_token, second.refresh_token);
    expect((await fetch(`${api()}/auth/me`, bearer(second.access_token))).status).toBe(200);

    const reuse = await post(`${api()}/auth/refresh`, { refresh_token: first.refresh_token });
    expect(reuse.status).toBe(401);
    expect((await post(`${api()}/auth/refresh`, { refresh_token: second.refresh_token })).status).toBe(401);
    expect((await post(`${api()}/auth/refresh`, { refresh_token: first.access_token })).status).toBe(401);
  });

  it('logs out: 204, and that family refreshes no more', async () => {
    const pair = await login('Lena');
    const res = await post(`${api()}/auth/logout`, { refresh_token: pair.refresh_token }, { Authorization: `Bearer ${pair.access_token}` });
    expect(res.status).toBe(204);
    expect((await post(`${api()}/auth/refresh`, { refresh_token: pair.refresh_token })).status).toBe(401);
    expect((await post(`${api()}/auth/logout`, { refresh_token: pair.refresh_token })).status).toBe(401);
  });
});

describe('user list', () => {
  let token: string;
  beforeAll(async () => {
    for (const name of ['zed_a', 'Zed_b', 'zed_c', 'zoe']) await signup(name);
    token = (await login('zoe')).access_token;
  });

  it('searches by prefix page by page with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 4; page++) {
      const res = await fetch(`${api()}/users?q=ZED&limit=2${cursor ? `&cursor=${cursor}` : ''}`, bearer(token));
      expect(res.status).toBe(200);
      const body = await res.json();
      for (const u of body.users) expect(u).toEqual({ id: expect.any(String), username: expect.any(String), full_name: null, online: false });
      seen.push(...body.users.map((u: { username: string }) => u.username));
      if (!body.next_cursor) break;
      cursor = body.next_cursor;
    }
    expect(seen).toEqual(['zed_a', 'Zed_b', 'zed_c']);
  });

  it('lists every other user in one answer without a limit, never the caller (seed 001: "list all users")', async () => {
    const others = Array.from({ length: 55 }, (_, i) => `many_${String(i).padStart(2, '0')}`);
    for (const name of others) await signup(name);
    const caller = await signup('many_me');
    const token = (await login('many_me')).access_token;
    const res = await fetch(`${api()}/users`, bearer(token));
    expect(res.status).toBe(200);
    const body = await res.json();
    const names = body.users.map((u: { username: string }) => u.username);
    expect(names.filter((n: string) => n.startsWith('many_'))).toEqual(others);
    expect(body.users.some((u: { id: string }) => u.id === caller.id)).toBe(false);
    expect(body.next_cursor).toBeNull();
    const searched = await (await fetch(`${api()}/users?q=many_m`, bearer(token))).json();
    expect(searched.users).toEqual([]);
    expect((await fetch(`${api()}/users?limit=1001`, bearer(token))).status).toBe(422);
  }, 180_000);

  it('refuses a bad limit or cursor with 422 naming it, and anonymous callers with 401', async () => {
    const limit = await fetch(`${api()}/users?limit=0`, bearer(token));
    expect(limit.status).toBe(422);
    expect((await limit.json()).detail).toContain('limit');
    const cursor = await fetch(`${api()}/users?cursor=!!`, bearer(token));
    expect(cursor.status).toBe(422);
    expect((await cursor.json()).detail).toContain('cursor');
    const anonymous = await fetch(`${api()}/users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('tampered tokens', () => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let claims: Record<string, unknown>;
  let kid: string;
  let refreshToken: string;

  beforeAll(async () => {
    await signup('mallory');
    const pair = await login('mallory');
    const decoded = jwt.decode(pair.access_token, { complete: true })!;
    kid = decoded.header.kid!;
    const { iat: _iat, exp: _exp, ...rest } = decoded.payload as jwt.JwtPayload;
    claims = rest;
    refreshToken = pair.refresh_token;
    expect((await fetch(`${api()}/auth/me`, bearer(pair.access_token))).status).toBe(200);
  });

  const sign = (payload: object, options: jwt.SignOptions = {}, key: KeyObject = keyA) =>
    jwt.sign(payload, key, { algorithm: 'ES256', keyid: kid, expiresIn: 600, ...options });
  const publicPem = () => createPublicKey(keyA).export({ format: 'pem', type: 'spki' }).toString();
  const hs256WithPublicKey = () => {
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    return `${unsigned}.${createHmac('sha256', publicPem()).update(unsigned).digest('base64url')}`;
  };

  const table: [string, () => string][] = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })}.`],
    ['HS256 signed with the public key PEM', hs256WithPublicKey],
    ['expired', () => sign({ ...claims, iat: Math.floor(Date.now() / 1000) - 3600 }, { expiresIn: 60 })],
    ['wrong issuer', () => sign({ ...claims, iss: 'someone-else' })],
    ['wrong audience', () => sign({ ...claims, aud: 'another-app' })],
    ['refresh token used as access token', () => refreshToken],
    ['garbage', () => 'not-a-token'],
    ['unknown kid', () => sign(claims, { keyid: 'no-such-kid' }, newKey())],
    ['right kid, another key', () => sign(claims, {}, newKey())],
    ['payload edited after signing', () => {
      const [h, , s] = sign(claims).split('.');
      return `${h}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000', exp: Math.floor(Date.now() / 1000) + 600 })}.${s}`;
    }],
  ];

  it('accepts the control token signed properly', async () => {
    expect((await fetch(`${api()}/auth/me`, bearer(sign(claims)))).status).toBe(200);
  });

  it.each(table)('%s: 401 on GET /auth/me', async (_name, token) => {
    const res = await fetch(`${api()}/auth/me`, bearer(token()));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each(table)('%s: /ws closes with 1008', async (_name, token) => {
    const socket = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=${encodeURIComponent(token())}`);
    expect((await socket.closed(10_000)).code).toBe(1008);
  });
});

describe('rate limits', () => {
  it('adds X-RateLimit-* headers to API responses, not to exempt ones', async () => {
    const res = await fetch(`${api()}/users`);
    expect(res.status).toBe(401);
    expect(Number(res.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    for (const exempt of ['/health', '/ready', '/metrics', '/openapi.json', '/docs']) {
      expect((await fetch(`${api()}${exempt}`)).headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('limits a user across gateway replicas: 429 with Retry-After', async () => {
    await signup('busy_bee');
    const { access_token } = await login('busy_bee', limitedUrl(0));
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${limitedUrl(i % 2)}/auth/me`, bearer(access_token));
      statuses.push(res.status);
      if (res.status === 429) refused = res;
      else expect(res.headers.get('x-ratelimit-limit')).toBe('5');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await refused!.json()).toMatchObject({ code: 'rate_limited' });
  });

  it('stops brute force on one username and address at the login limit', async () => {
    await signup('target');
    await signup('neighbour');
    const attempt = (username: string, pw: string, i = 0) => post(`${limitedUrl(i % 2)}/auth/login`, { username, password: pw });
    for (let i = 0; i < 3; i++) expect((await attempt('target', `guess-${i}-wrong`, i)).status).toBe(401);
    const blocked = await attempt('Target', 'guess-4-wrong', 1);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(1);
    // The right password waits out the window too, so guessing gains nothing; other names are unaffected.
    expect((await attempt('target', password)).status).toBe(429);
    expect((await attempt('neighbour', password)).status).toBe(200);
    expect((await attempt('neighbour', password)).status).toBe(200);
    expect((await attempt('neighbour', password)).status).toBe(200);
    expect((await attempt('neighbour', password)).status).toBe(200);
  });

  it('limits an address: 429 with Retry-After once the per-IP budget is spent', async () => {
    let refused: Response | undefined;
    for (let i = 0; i < 45 && !refused; i++) {
      const res = await fetch(`${limitedUrl(i % 2)}/no-such-route`);
      if (res.status === 429) refused = res;
      else expect(res.headers.get('x-ratelimit-limit')).toBe('40');
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Exempt routes still answer.
    expect((await fetch(`${limitedUrl(0)}/health`)).status).toBe(200);
  });
});

describe('API docs', () => {
  it('serves /openapi.json listing every HTTP route of the API', async () => {
    const res = await fetch(`${api()}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.oauth2.flows.password.tokenUrl).toBe('/auth/token');
    const listed = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    for (const route of apiMdRoutes()) expect(listed).toContain(route);
    for (const [, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>)) {
      for (const op of Object.values(ops)) expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
  });

  it('serves the Swagger UI at /docs with its assets, and /redoc', async () => {
    const docs = await fetch(`${api()}/docs`);
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toContain('swagger-ui');
    for (const asset of html.match(/(?:src|href)="([^"]+)"/g)!.map((m) => m.split('"')[1]!)) {
      expect((await fetch(`${api()}${asset}`)).status).toBe(200);
    }
    const redoc = await fetch(`${api()}/redoc`);
    expect(redoc.status).toBe(200);
    expect(await redoc.text()).toContain('/auth/token');
  });
});

describe('signing key rotation', () => {
  it('keeps old tokens valid and accepts the new key without restarting the gateway', async () => {
    await signup('rotator');
    const before = await login('rotator');
    const auth = stack.services.find((s) => s.name === 'auth')!;
    await auth.stop();
    extra.push(await spawnService('auth', { ...env, AUTH_SIGNING_KEY: pemOf(keyB), AUTH_PREVIOUS_KEYS: createPublicKey(keyA).export({ format: 'pem', type: 'spki' }).toString() }));

    const after = await login('rotator');
    expect(jwt.decode(after.access_token, { complete: true })!.header.kid).not.toBe(jwt.decode(before.access_token, { complete: true })!.header.kid);
    // The gateway refetches the JWKS on the unknown kid (at most every few seconds).
    await waitFor('the gateway to accept the new key', async () => (await fetch(`${api()}/auth/me`, bearer(after.access_token))).status === 200, 20_000, 250);
    expect((await fetch(`${api()}/auth/me`, bearer(before.access_token))).status).toBe(200);
    const refreshed = await post(`${api()}/auth/refresh`, { refresh_token: before.refresh_token });
    expect(refreshed.status).toBe(200);
    const pair = await refreshed.json();
    issuedTokens.push(pair.access_token, pair.refresh_token);
  }, 40_000);
});

describe('logs', () => {
  it('never contain a password, hash, private key or token', () => {
    const logs = [...stack.services, ...limited, ...extra].map((s) => s.output.join('')).join('');
    expect(logs).toContain('auth service started');
    expect(logs).not.toContain(password);
    expect(logs).not.toContain('guess-');
    expect(logs).not.toContain('$argon2id$');
    expect(logs).not.toContain('PRIVATE KEY');
    for (const token of issuedTokens) expect(logs).not.toContain(token.split('.')[2]);
  });
});

/** The routes of shared/API.md's HTTP table, when the contract is beside the repository; else the known list. */
function apiMdRoutes(): string[] {
  const file = path.resolve(__dirname, '..', '..', '..', 'shared', 'API.md');
  const known = ['POST /auth/signup', 'POST /auth/login', 'POST /auth/token', 'POST /auth/refresh', 'POST /auth/logout', 'GET /auth/me', 'GET /users'];
  if (!existsSync(file)) return known;
  const routes: string[] = [];
  for (const [, method, paths] of readFileSync(file, 'utf8').matchAll(/^\| (GET|POST|PATCH|DELETE) \| ([^|]+) \|/gm)) {
    for (const p of paths!.split(/\s*,\s+/)) routes.push(`${method} ${p.trim().split('?')[0]}`);
  }
  // "POST /messages/{id}/reactions" row also names its DELETE twin in the notes.
  routes.push('DELETE /messages/{id}/reactions/{emoji}');
  expect(routes.length).toBeGreaterThan(20);
  return routes;
}

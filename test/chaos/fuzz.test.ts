/**
 * Hostile input at the edge, against the real processes: HTTP bodies and WebSocket frames built from
 * the contract's shapes and mutated (wrong types, huge strings, deep nesting, invalid UTF-8,
 * `__proto__` keys), tampered tokens, and a user (mallory) reaching for another conversation's ids;
 * then the classes of issue #15.9 on their own: reactions named like Object.prototype members, lone
 * surrogates in every text field, malformed %-escapes in paths, truncated compressed bodies.
 * Every answer must be a documented error, nothing may crash, and nothing of alice's may leak or change.
 */
import { ClientFrame, clientFrameTypes, ErrorCode } from '@pneumatic/contracts';
import { createTestContext, startTestStack, TestSocket, type TestContext, type TestStack } from '@pneumatic/testkit';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createConversation, signUp } from './harness/chat-load';
import type { ChatUser } from './harness/chat-client';
import { loneSurrogateText, malformedEscape, prototypeName, prototypeNames, truncatedCompressedBody } from './harness/hostile-input';

jest.setTimeout(120_000);

const errorCodes = new Set<string>(ErrorCode.options);
/** Close codes docs/api.md and docs/protocol.md document for /ws, plus the WebSocket's own protocol-violation codes. */
const documentedCloseCodes = new Set([1008, 1009, 1012, 1013, 1002, 1007]);
const secret = `canary-${randomUUID()}`;

let ctx: TestContext;
let stack: TestStack;
let alice: ChatUser;
let bob: ChatUser;
let mallory: ChatUser;
let aliceConversation: string;
let malloryConversation: string;
let aliceMessage: { id: string; message_id: string };
/** Mallory's own message, where her reactions and edits reach the messages service's state. */
let malloryMessage: { id: string; message_id: string };
let problems: string[] = [];
/** How many inputs each part tried, printed at the end. */
const tally = { httpRequests: 0, wsFrames: 0, tamperedTokens: 0, reactions: 0, loneSurrogates: 0, malformedEscapes: 0, truncatedBodies: 0 };

beforeAll(async () => {
  ctx = await createTestContext('fuzz');
  stack = await startTestStack({
    ...ctx.env,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_USER: '1000000',
    RATE_LIMIT_LOGIN_ATTEMPTS: '100000',
    WS_FRAMES_PER_SECOND: '100000',
    WS_FRAME_BURST: '100000',
    // Thousands of hostile sockets from one address; the limits themselves are tested in e2e.
    WS_UPGRADES_PER_IP: '1000000',
    WS_UPGRADES_PER_USER: '1000000',
    WS_MAX_SOCKETS_PER_USER: '100000',
  });
  const api = stack.url(0);
  [alice, bob, mallory] = [await signUp(api, 'fz_alice'), await signUp(api, 'fz_bob'), await signUp(api, 'fz_mallory')];
  aliceConversation = (await createConversation(api, alice, 'private', [bob])).id;
  malloryConversation = (await createConversation(api, mallory, 'mallory', [bob])).id;
  const res = await fetch(`${api}/conversations/${aliceConversation}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${alice.token}` },
    body: JSON.stringify({ content: secret, message_id: 'alice-secret' }),
  });
  expect(res.status).toBe(201);
  aliceMessage = await res.json();
  const own = await fetch(`${api}/conversations/${malloryConversation}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${mallory.token}` },
    body: JSON.stringify({ content: 'mallory was here', message_id: 'mallory-own' }),
  });
  expect(own.status).toBe(201);
  malloryMessage = await own.json();
}, 120_000);

beforeEach(() => {
  problems = [];
});

afterAll(async () => {
  console.log(`fuzz inputs: ${JSON.stringify(tally)}`);
  await stack?.stop();
  await ctx?.cleanup();
});

const deep = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

/** Values of every wrong kind, including ids that belong to alice (IDOR). */
const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    fc.integer({ min: 5_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 10, max: 3_000 }).map(deep),
    prototypeName(),
    loneSurrogateText(),
    fc.constantFrom("'; DROP TABLE messages; --", '\u0000', '../../etc/passwd', '%00', '🙂'.repeat(3000), -1, 1e308, 2 ** 53),
    fc.constantFrom(() => aliceConversation, () => aliceMessage.id, () => aliceMessage.message_id, () => alice.id).map((f) => f()),
  );

/** Takes a valid shape and breaks it: fields replaced, removed or added, prototype keys smuggled in. */
const mutatedBody = (valid: () => Record<string, unknown>): fc.Arbitrary<string | Buffer> =>
  fc.oneof(
    fc
      .tuple(fc.array(fc.tuple(fc.nat(), hostileValue()), { maxLength: 3 }), fc.boolean(), fc.constantFrom('', '__proto__', 'constructor'))
      .map(([replacements, drop, smuggle]) => {
        const body = valid();
        const keys = Object.keys(body);
        for (const [i, value] of replacements) if (keys.length > 0) body[keys[i % keys.length]!] = value;
        if (drop && keys.length > 0) delete body[keys[0]!];
        const text = JSON.stringify(body);
        if (!smuggle) return text;
        const payload = smuggle === '__proto__' ? '{"polluted":true,"isAdmin":true}' : '{"prototype":{"polluted":true}}';
        return `{"${smuggle}":${payload}${text.length > 2 ? ',' : ''}${text.slice(1)}`;
      }),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.concat([Buffer.from('{"content":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
    fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  );

interface Route {
  method: string;
  path: () => string;
  body?: () => Record<string, unknown>;
}

const someConversation = () => [aliceConversation, malloryConversation, randomUUID(), 'not-a-uuid', '..%2F..%2Fadmin'][Math.floor(Math.random() * 5)]!;
const someMessage = () => [aliceMessage.id, aliceMessage.message_id, randomUUID(), 'x'.repeat(300)][Math.floor(Math.random() * 4)]!;
const routes: Route[] = [
  { method: 'POST', path: () => '/auth/signup', body: () => ({ username: `fz_${Math.random().toString(36).slice(2, 8)}`, password: 'long-enough-1' }) },
  { method: 'POST', path: () => '/auth/login', body: () => ({ username: 'fz_alice', password: 'wrong-password' }) },
  { method: 'POST', path: () => '/auth/refresh', body: () => ({ refresh_token: 'x' }) },
  { method: 'POST', path: () => '/conversations', body: () => ({ title: 'fuzz', member_ids: [bob.id] }) },
  { method: 'POST', path: () => `/conversations/${someConversation()}/members`, body: () => ({ user_ids: [mallory.id] }) },
  { method: 'POST', path: () => `/conversations/${someConversation()}/messages`, body: () => ({ content: 'hi', message_id: randomUUID() }) },
  { method: 'POST', path: () => '/messages', body: () => ({ message_id: randomUUID(), sender_id: mallory.id, conversation_id: someConversation(), content: 'hi' }) },
  { method: 'PATCH', path: () => `/messages/${someMessage()}`, body: () => ({ content: 'edited' }) },
  { method: 'POST', path: () => `/messages/${someMessage()}/reactions`, body: () => ({ emoji: '👍' }) },
  { method: 'POST', path: () => `/conversations/${someConversation()}/read`, body: () => ({ seq: 1 }) },
  { method: 'GET', path: () => `/conversations/${someConversation()}/messages?limit=${encodeURIComponent(String(Math.random() > 0.5 ? 500 : 'x'))}&after_seq=-1` },
  { method: 'GET', path: () => `/conversations/${someConversation()}` },
  { method: 'DELETE', path: () => `/conversations/${someConversation()}/members/${bob.id}` },
  { method: 'DELETE', path: () => `/messages/${someMessage()}` },
  { method: 'GET', path: () => `/presence?user_ids=${encodeURIComponent(`${alice.id},__proto__,${'x'.repeat(100)}`)}` },
];

/** A documented answer: 2xx, or an error status with `{detail, code}` and a known code; never 5xx, never alice's secret. */
async function judgeHttp(what: string, res: Response): Promise<void> {
  const text = await res.text();
  if (text.includes(secret)) problems.push(`${what}: leaked alice's message`);
  if (/"polluted"|"isAdmin"/.test(text)) problems.push(`${what}: echoed a smuggled prototype key: ${text.slice(0, 200)}`);
  if (res.status >= 500) problems.push(`${what}: ${res.status} ${text.slice(0, 200)}`);
  if (res.status < 400) return;
  try {
    const body = JSON.parse(text) as { detail?: unknown; code?: unknown };
    if (typeof body.detail !== 'string' || !errorCodes.has(String(body.code))) problems.push(`${what}: undocumented error body ${text.slice(0, 200)}`);
  } catch {
    problems.push(`${what}: ${res.status} with a non-JSON body ${text.slice(0, 100)}`);
  }
}

it('answers mutated HTTP bodies with documented errors and never another user’s data', async () => {
  const request = fc
    .nat({ max: routes.length - 1 })
    .chain((i) => fc.tuple(fc.constant(routes[i]!), routes[i]!.body ? mutatedBody(routes[i]!.body!) : fc.constant(undefined)));
  await fc.assert(
    fc.asyncProperty(request, fc.boolean(), fc.constantFrom('application/json', 'text/plain', ''), async ([route, body], authed, type) => {
      const path = route.path();
      tally.httpRequests++;
      const headers: Record<string, string> = authed ? { Authorization: `Bearer ${mallory.token}` } : {};
      if (type && body !== undefined) headers['Content-Type'] = type;
      const res = await fetch(`${stack.url(Math.random() > 0.5 ? 0 : 1)}${path}`, { method: route.method, headers, body: typeof body === 'string' ? body : body && new Uint8Array(body) });
      await judgeHttp(`${route.method} ${path.slice(0, 80)}`, res);
    }),
    { numRuns: 100_000, interruptAfterTimeLimit: 10_000 },
  );
  expect(problems).toEqual([]);
});

// Every frame type and field the contract knows, so a frame added there is fuzzed here without an edit.
const frameFields = [...new Set(ClientFrame.options.flatMap((frame) => Object.keys(frame.shape)).filter((key) => key !== 'type'))];

/** Client frames from the contract, fields swapped for hostile values, plus garbage text and bytes. */
const hostileFrame: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...clientFrameTypes, 'nope', '__proto__'),
      fc.dictionary(fc.constantFrom(...frameFields, '__proto__', 'constructor'), hostileValue(), { maxKeys: 4 }),
    )
    .map(([type, fields]) => JSON.stringify({ type, conversation_id: aliceConversation, message_id: aliceMessage.id, content: 'x', seq: 1, after_seq: 0, ...fields })),
  fc.string({ maxLength: 100 }),
  fc.integer({ min: 1, max: 8_000 }).map((n) => '{"type":"ping","a":' + '['.repeat(n) + ']'.repeat(n) + '}'),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

it('answers hostile WebSocket frames with documented error frames or close codes, leaking nothing', async () => {
  const received: string[] = [];
  const closes: number[] = [];
  let socket: WebSocket | undefined;
  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${stack.wsUrl(Math.random() > 0.5 ? 0 : 1)}/ws?token=${mallory.token}`);
      ws.on('message', (data) => received.push(data.toString()));
      ws.on('close', (code) => closes.push(code));
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  await fc.assert(
    fc.asyncProperty(hostileFrame, fc.boolean(), async (frame, binary) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) socket = await open();
      tally.wsFrames++;
      socket.send(frame, { binary: typeof frame !== 'string' && binary });
      await new Promise((r) => setTimeout(r, 2));
    }),
    { numRuns: 100_000, interruptAfterTimeLimit: 10_000 },
  );
  // One frame past the 1 MiB bound closes the socket with 1009. A fresh socket, because the last
  // fuzzed one may already be closing (e.g. 1007 after a text frame of invalid UTF-8).
  socket?.removeAllListeners('close').terminate();
  const oversized = await open();
  const closed = new Promise<number>((resolve) => oversized.once('close', resolve));
  oversized.send('x'.repeat(1024 * 1024 + 1));
  expect(await closed).toBe(1009);
  await new Promise((r) => setTimeout(r, 500));

  for (const text of received) {
    if (text.includes(secret)) problems.push(`ws: leaked alice's message: ${text.slice(0, 200)}`);
    const frame = JSON.parse(text) as { type: string; code?: string; conversation_id?: string };
    if (frame.type === 'error' && !errorCodes.has(String(frame.code))) problems.push(`ws: undocumented error code ${frame.code}`);
    if (frame.type === 'error' && frame.code === 'internal_error') problems.push(`ws: internal_error for ${text.slice(0, 200)}`);
    // `left` only echoes the id the client sent; anything else about alice's conversation is a leak.
    if (!['error', 'left'].includes(frame.type) && frame.conversation_id === aliceConversation) problems.push(`ws: answered about alice's conversation: ${text.slice(0, 200)}`);
  }
  for (const code of closes) if (!documentedCloseCodes.has(code)) problems.push(`ws: undocumented close code ${code}`);
  expect(received.length).toBeGreaterThan(0);
  expect(problems).toEqual([]);
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens that must all be refused: alg none, forged payloads, flipped signatures, truncations, noise. */
const tamperedToken = (): fc.Arbitrary<string> => fc.oneof(
  fc.constant(null).map(() => {
    const [, payload] = mallory.token.split('.');
    return `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
  }),
  fc.constant(null).map(() => {
    const [header, payload, signature] = mallory.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    return `${header}.${b64({ ...claims, sub: alice.id })}.${signature}`;
  }),
  fc.nat().map((i) => {
    const token = mallory.token;
    const at = token.lastIndexOf('.') + 1 + (i % (token.length - token.lastIndexOf('.') - 2));
    return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
  }),
  fc.nat().map((i) => mallory.token.slice(0, i % mallory.token.length)),
  fc.string({ maxLength: 300 }),
);

it('refuses tampered tokens on HTTP (401) and WebSocket (close 1008)', async () => {
  await fc.assert(
    fc.asyncProperty(tamperedToken(), async (token) => {
      fc.pre(token !== mallory.token);
      tally.tamperedTokens++;
      const res = await fetch(`${stack.url(0)}/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 401) problems.push(`token ${token.slice(0, 40)}…: /auth/me answered ${res.status}`);
      await judgeHttp('tampered token', res);
      const code = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${stack.wsUrl(1)}/ws?token=${encodeURIComponent(token)}`);
        ws.on('error', () => undefined);
        ws.on('close', (c) => resolve(c));
      });
      if (code !== 1008) problems.push(`token ${token.slice(0, 40)}…: /ws closed ${code}`);
    }),
    { numRuns: 10_000, interruptAfterTimeLimit: 6_000 },
  );
  expect(problems).toEqual([]);
});

/** Mallory's request to gateway 0 or 1. */
const asMallory = (method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}) =>
  fetch(`${stack.url(Math.random() > 0.5 ? 0 : 1)}${path}`, {
    method,
    headers: { Authorization: `Bearer ${mallory.token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers },
    body: init.body,
  });

/** Exactly this documented error: its status and `{detail, code}`. */
async function expectError(what: string, res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  let body: { detail?: unknown; code?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // judged below: no code
  }
  if (res.status !== status || body.code !== code || typeof body.detail !== 'string') {
    problems.push(`${what}: wanted ${status} ${code}, got ${res.status} ${text.slice(0, 200)}`);
  }
}

it('keeps reactions named like Object.prototype members as plain reactions, over HTTP and WebSocket', async () => {
  const socket = await TestSocket.open(`${stack.wsUrl(1)}/ws?token=${mallory.token}`);
  const mine = new Set<string>();
  try {
    await fc.assert(
      fc.asyncProperty(prototypeName(), fc.boolean(), async (emoji, overSocket) => {
        tally.reactions++;
        const action = mine.has(emoji) ? 'remove' : 'add';
        if (overSocket) {
          const from = socket.frames.length;
          socket.send({ type: 'reaction', message_id: malloryMessage.id, emoji, action });
          await socket.next((f) => f.type === 'message_reaction' && f.emoji === emoji && f.action === action, 5_000, from);
        } else {
          const res =
            action === 'add'
              ? await asMallory('POST', `/messages/${malloryMessage.id}/reactions`, { body: JSON.stringify({ emoji }) })
              : await asMallory('DELETE', `/messages/${malloryMessage.id}/reactions/${encodeURIComponent(emoji)}`);
          if (res.status !== 200) return void problems.push(`${action} ${emoji}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        }
        if (action === 'add') mine.add(emoji);
        else mine.delete(emoji);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 8_000 },
    );
    expect(socket.frames.filter((f) => f.type === 'error')).toEqual([]);
  } finally {
    socket.ws.close();
  }
  // Read back: exactly the reactions the model holds, each an own key with mallory's id, nothing inherited.
  const res = await asMallory('GET', `/conversations/${malloryConversation}/messages`);
  expect(res.status).toBe(200);
  const { messages } = await res.json();
  const reactions = messages.find((m: { id: string }) => m.id === malloryMessage.id).reactions;
  expect(Object.keys(reactions).sort()).toEqual([...mine].sort());
  for (const emoji of prototypeNames) expect(Object.hasOwn(reactions, emoji) ? reactions[emoji] : []).toEqual(mine.has(emoji) ? [mallory.id] : []);
  expect(problems).toEqual([]);
});

/** Each text field of the API, with everything else valid, so only the surrogate can be refused. */
const surrogateRequests: [string, string, (s: string) => Record<string, unknown>][] = [
  ['POST', '/conversations/{mc}/messages', (s) => ({ content: s })],
  ['POST', '/conversations/{mc}/messages', (s) => ({ content: 'hi', message_id: s })],
  ['POST', '/messages', (s) => ({ message_id: randomUUID(), sender_id: mallory.id, conversation_id: malloryConversation, content: s })],
  ['POST', '/messages', (s) => ({ message_id: s, sender_id: mallory.id, conversation_id: malloryConversation, content: 'hi' })],
  ['PATCH', '/messages/{mm}', (s) => ({ content: s })],
  ['POST', '/messages/{mm}/reactions', (s) => ({ emoji: s })],
  ['POST', '/conversations', (s) => ({ title: s, member_ids: [bob.id], kind: 'group' })],
  ['POST', '/auth/signup', (s) => ({ username: `fz_${Math.random().toString(36).slice(2, 8)}`, password: 'long-enough-1', full_name: s })],
];
const surrogateFrames: ((s: string) => Record<string, unknown>)[] = [
  (s) => ({ type: 'message', conversation_id: malloryConversation, message_id: randomUUID(), content: s }),
  (s) => ({ type: 'message', conversation_id: malloryConversation, message_id: s, content: 'hi' }),
  (s) => ({ type: 'edit', message_id: malloryMessage.message_id, content: s }),
  (s) => ({ type: 'edit', message_id: s, content: 'hi' }),
  (s) => ({ type: 'delete', message_id: s }),
  (s) => ({ type: 'reaction', message_id: malloryMessage.id, emoji: s, action: 'add' }),
  (s) => ({ type: 'reaction', message_id: s, emoji: '👍', action: 'add' }),
];

it('refuses a lone surrogate in every text field with 422 validation_error, and an error frame on the socket', async () => {
  const fill = (path: string) => path.replace('{mc}', malloryConversation).replace('{mm}', malloryMessage.id);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: surrogateRequests.length - 1 }), loneSurrogateText(), async (i, s) => {
      tally.loneSurrogates++;
      const [method, path, body] = surrogateRequests[i]!;
      // JSON.stringify writes the unpaired unit as the escape `\udXXX`, as a hostile client would.
      await expectError(`${method} ${path} ${JSON.stringify(s)}`, await asMallory(method, fill(path), { body: JSON.stringify(body(s)) }), 422, 'validation_error');
    }),
    { numRuns: 2_000, interruptAfterTimeLimit: 8_000 },
  );
  const socket = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=${mallory.token}`);
  try {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: surrogateFrames.length - 1 }), loneSurrogateText(), async (i, s) => {
        tally.loneSurrogates++;
        const ref = randomUUID();
        socket.send({ ...surrogateFrames[i]!(s), ref });
        const reply = await socket.next((f) => f.ref === ref);
        if (reply.type !== 'error' || reply.code !== 'invalid_frame') problems.push(`frame ${i} ${JSON.stringify(s)}: ${JSON.stringify(reply).slice(0, 200)}`);
      }),
      { numRuns: 2_000, interruptAfterTimeLimit: 6_000 },
    );
  } finally {
    socket.ws.close();
  }
  expect(problems).toEqual([]);
});

/** Every route with a path parameter, the parameter replaced by a malformed escape. */
const escapedPaths: [string, (e: string) => string][] = [
  ['GET', (e) => `/conversations/${e}`],
  ['GET', (e) => `/conversations/${e}/messages`],
  ['POST', (e) => `/conversations/${e}/read`],
  ['POST', (e) => `/conversations/${e}/members`],
  ['DELETE', (e) => `/conversations/${malloryConversation}/members/${e}`],
  ['PATCH', (e) => `/messages/${e}`],
  ['DELETE', (e) => `/messages/${e}`],
  ['POST', (e) => `/messages/${e}/reactions`],
  ['DELETE', (e) => `/messages/${malloryMessage.id}/reactions/${e}`],
];

it('answers malformed %-escapes in paths with 404 not_found', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: escapedPaths.length - 1 }), malformedEscape(), async (i, escape) => {
      tally.malformedEscapes++;
      const [method, path] = escapedPaths[i]!;
      const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
      await expectError(`${method} ${path(escape)}`, await asMallory(method, path(escape), { body }), 404, 'not_found');
    }),
    { numRuns: 2_000, interruptAfterTimeLimit: 6_000 },
  );
  expect(problems).toEqual([]);
});

const compressedRoutes: [string, () => string, () => Record<string, unknown>][] = [
  ['POST', () => `/conversations/${malloryConversation}/messages`, () => ({ content: 'x'.repeat(200), message_id: randomUUID() })],
  ['PATCH', () => `/messages/${malloryMessage.id}`, () => ({ content: 'edited' })],
  ['POST', () => '/conversations', () => ({ title: 'compressed', member_ids: [bob.id], kind: 'group' })],
  ['POST', () => '/auth/login', () => ({ username: 'fz_mallory', password: 'chaos-password-1' })],
];

it('answers truncated gzip, deflate and brotli bodies with 400 invalid_json', async () => {
  const request = fc
    .nat({ max: compressedRoutes.length - 1 })
    .chain((i) => fc.tuple(fc.constant(compressedRoutes[i]!), truncatedCompressedBody(compressedRoutes[i]![2])));
  await fc.assert(
    fc.asyncProperty(request, async ([[method, path], { encoding, bytes }]) => {
      tally.truncatedBodies++;
      const res = await asMallory(method, path(), { body: new Uint8Array(bytes), headers: { 'Content-Encoding': encoding } });
      await expectError(`${method} ${path()} ${encoding} cut at ${bytes.length}`, res, 400, 'invalid_json');
    }),
    { numRuns: 2_000, interruptAfterTimeLimit: 6_000 },
  );
  expect(problems).toEqual([]);
});

it('leaves every process alive and ready, and alice’s conversation untouched', async () => {
  for (const service of stack.services) {
    expect({ service: service.name, exit: service.child.exitCode }).toEqual({ service: service.name, exit: null });
    expect((await fetch(`http://127.0.0.1:${service.port}/ready`)).status).toBe(200);
  }
  const headers = { Authorization: `Bearer ${alice.token}` };
  const history = await (await fetch(`${stack.url(0)}/conversations/${aliceConversation}/messages`, { headers })).json();
  expect(history.messages).toEqual([expect.objectContaining({ id: aliceMessage.id, content: secret, deleted: false, reactions: {} })]);
  const conversation = await (await fetch(`${stack.url(0)}/conversations/${aliceConversation}`, { headers })).json();
  expect([...conversation.members].sort()).toEqual([alice.id, bob.id].sort());
});

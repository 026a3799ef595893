/**
 * WebSocket limits through real gateway processes sharing one Redis: upgrades per client address and
 * per user, open sockets per user across gateways (leases that lapse when a gateway dies), one frame
 * budget per user whatever the number of sockets, and every refusal a security event.
 */
import { connectRedis, createLogger, type Redis } from '@pneumatic/platform';
import { createTestContext, spawnService, startTestStack, TestSocket, waitFor, type ServiceProcess, type TestContext, type TestStack } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';

const password = 'correct-horse-battery';
const limits = {
  // The test picks each socket's address with X-Forwarded-For, so tests do not share address budgets.
  TRUSTED_PROXIES: 'loopback',
  WS_UPGRADES_PER_IP: '5',
  WS_UPGRADES_PER_USER: '6',
  WS_MAX_SOCKETS_PER_USER: '3',
  WS_SOCKET_LEASE_SECONDS: '3',
  WS_FRAMES_PER_SECOND: '2',
  WS_FRAME_BURST: '10',
  ARGON2_MEMORY_KIB: '4096',
  ARGON2_TIME_COST: '2',
};

let ctx: TestContext;
let stack: TestStack;
let redis: Redis;
const extraGateways: ServiceProcess[] = [];
const sockets: TestSocket[] = [];

interface Person {
  id: string;
  token: string;
}

beforeAll(async () => {
  ctx = await createTestContext('e2e_ws_limits');
  stack = await startTestStack({ ...ctx.env, ...limits });
  redis = await connectRedis(ctx.redisUrl, ctx.redisPrefix, createLogger('ws-limits-test', 'silent'));
}, 90_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all(extraGateways.map((g) => g.stop('SIGKILL')));
  await redis?.quit();
  await stack?.stop();
  await ctx?.cleanup();
});

const post = (path: string, body: unknown) =>
  fetch(`${stack.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function person(username: string): Promise<Person> {
  const created = await post('/auth/signup', { username, password });
  expect(created.status).toBe(201);
  const { id } = await created.json();
  const { access_token: token } = await (await post('/auth/login', { username, password })).json();
  return { id, token };
}

const gatewayUrl = (gateway: number | ServiceProcess) => (typeof gateway === 'number' ? stack.wsUrl(gateway) : `ws://127.0.0.1:${gateway.port}`);

/** Opens a socket as if from `address` (the gateways trust loopback's X-Forwarded-For). */
async function open(address: string, token: string, gateway: number | ServiceProcess = 0, path = '/ws'): Promise<TestSocket> {
  const socket = await TestSocket.open(`${gatewayUrl(gateway)}${path}?token=${encodeURIComponent(token)}`, { headers: { 'X-Forwarded-For': address } });
  sockets.push(socket);
  return socket;
}

/** A socket the server keeps: it answers a ping. */
async function accepted(socket: TestSocket): Promise<TestSocket> {
  const ref = randomUUID();
  socket.send({ type: 'ping', ref });
  await socket.next((f) => f.ref === ref);
  return socket;
}

/** A security event's count summed over every gateway of the stack (NaN while a gateway lacks it). */
async function securityCount(event: string): Promise<number> {
  const counts = await Promise.all(
    stack.gateways.map(async (g) => {
      const text = await (await fetch(`http://127.0.0.1:${g.port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('pneumatic_security_events_total{') && l.includes(`event="${event}"`));
      return Number(line?.split(' ').pop() ?? NaN);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const securityLines = () =>
  stack
    .logs()
    .split('\n')
    .filter((line) => line.includes('"event":'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('upgrade limits', () => {
  it('refuses upgrades from one address past its limit on every gateway (1013), whatever the token, and counts them', async () => {
    const dana = await person('ws_dana');
    const before = await securityCount('upgrade_rate_limited');
    // Forged tokens count too: the address is charged before the token is checked.
    for (let i = 0; i < 5; i++) expect((await (await open('203.0.113.20', 'forged', i % 2)).closed()).code).toBe(1008);
    const refused = await (await open('203.0.113.20', dana.token, 1)).closed();
    expect(refused).toEqual({ code: 1013, reason: expect.stringMatching(/^too many connection attempts from this address; retry after \d+ s$/) });
    await accepted(await open('203.0.113.21', dana.token, 0));
    await waitFor('the refusal to be counted', async () => (await securityCount('upgrade_rate_limited')) === before + 1);
    expect(securityLines()).toContainEqual(expect.objectContaining({ event: 'upgrade_rate_limited', client: '203.0.113.20' }));
  });

  it('refuses upgrades of one user past its limit, from any address', async () => {
    const erin = await person('ws_erin');
    const frank = await person('ws_frank');
    // A scoped socket to no conversation is authenticated (and counted), then closed 4004: it holds no slot.
    const attempt = (who: Person, i: number) => open(`203.0.113.${100 + i}`, who.token, i % 2, `/conversations/${randomUUID()}/ws`);
    for (let i = 0; i < 6; i++) expect((await (await attempt(erin, i)).closed()).code).toBe(4004);
    const refused = await (await attempt(erin, 6)).closed();
    expect(refused).toEqual({ code: 1013, reason: expect.stringMatching(/^too many connection attempts of this user; retry after \d+ s$/) });
    expect((await (await attempt(frank, 7)).closed()).code).toBe(4004);
    await waitFor('the log line', () => securityLines().some((l) => l.event === 'upgrade_rate_limited' && l.user_id === erin.id));
  });
});

describe('open sockets per user', () => {
  it('refuses a socket past the cap, counting the user on every gateway, while another user still connects', async () => {
    const gina = await person('ws_gina');
    const hal = await person('ws_hal');
    const before = await securityCount('socket_cap_reached');
    const held = [await open('203.0.113.30', gina.token, 0), await open('203.0.113.30', gina.token, 0), await open('203.0.113.31', gina.token, 1)];
    await Promise.all(held.map(accepted));
    const refused = await (await open('203.0.113.31', gina.token, 1)).closed();
    expect(refused).toEqual({ code: 1013, reason: 'too many open sockets: at most 3 per user' });
    await accepted(await open('203.0.113.31', hal.token, 1));
    await waitFor('the refusal to be counted', async () => (await securityCount('socket_cap_reached')) === before + 1);
    expect(securityLines()).toContainEqual(expect.objectContaining({ event: 'socket_cap_reached', user_id: gina.id, client: '203.0.113.31' }));

    // A closed socket gives its slot back.
    held[2]!.close();
    await held[2]!.closed();
    await waitFor('the slot to be released', async () => (await redis.zcard(`ws:sockets:${gina.id}`)) === 2);
    await accepted(await open('203.0.113.32', gina.token, 1));
  });

  it("frees a killed gateway's slots once their lease lapses", async () => {
    const ivy = await person('ws_ivy');
    const doomed = await spawnService('gateway', { ...ctx.env, ...limits, GATEWAY_ID: 'gateway-doomed' });
    extraGateways.push(doomed);
    await Promise.all([0, 1, 2].map(async () => accepted(await open('203.0.113.40', ivy.token, doomed))));
    expect((await (await open('203.0.113.41', ivy.token, 0)).closed()).code).toBe(1013);
    await doomed.stop('SIGKILL');
    await waitFor('the dead gateway\'s leases to lapse', async () => (await redis.zcount(`ws:sockets:${ivy.id}`, Date.now(), '+inf')) === 0, 10_000, 100);
    await accepted(await open('203.0.113.41', ivy.token, 0));
  });
});

describe('frames', () => {
  it("draws one user's frames on two sockets from one budget, and reports the flood once", async () => {
    const jay = await person('ws_jay');
    const kim = await person('ws_kim');
    const before = await securityCount('frame_rate_limited');
    const [first, second] = [await accepted(await open('203.0.113.50', jay.token, 0)), await accepted(await open('203.0.113.51', jay.token, 0))];
    const bystander = await accepted(await open('203.0.113.52', kim.token, 0));
    // The two accepting pings spent 2 of the burst of 10; of 20 more at once about 8 are answered.
    const [firstBefore, secondBefore] = [first.frames.length, second.frames.length];
    for (let i = 0; i < 10; i++) {
      first.send({ type: 'ping' });
      second.send({ type: 'ping' });
    }
    // Every frame earns one reply, a pong or a rate_limited error.
    const replies = await waitFor('a reply to every frame', () => {
      const got = [...first.frames.slice(firstBefore), ...second.frames.slice(secondBefore)];
      return got.length === 20 ? got : undefined;
    });
    const pongs = replies.filter((f) => f.type === 'pong').length;
    expect(replies.filter((f) => f.type === 'error' && f.code === 'rate_limited')).toHaveLength(20 - pongs);
    expect(pongs).toBeGreaterThanOrEqual(8);
    expect(pongs).toBeLessThanOrEqual(10);
    // Both sockets were refused: the budget is the user's, not one socket's.
    expect(first.frames.some((f) => f.code === 'rate_limited')).toBe(true);
    expect(second.frames.some((f) => f.code === 'rate_limited')).toBe(true);
    await accepted(bystander);
    await waitFor('the flood to be counted', async () => (await securityCount('frame_rate_limited')) === before + 1);
    expect(securityLines()).toContainEqual(expect.objectContaining({ event: 'frame_rate_limited', user_id: jay.id }));
  });
});

/**
 * Issue #15.3, logins flooded from one address: failed logins with any names are limited per client
 * address, and its logins take turns (a few at once, a few waiting), before auth spends argon2 on
 * them; other addresses log in as usual. Addresses come from X-Forwarded-For, believed from the
 * loopback proxy.
 */
import { createTestContext, startTestStack, waitFor, type TestContext, type TestStack } from '@pneumatic/testkit';

const password = 'correct-horse-battery';
const failuresPerAddress = 5;
const inFlightPerAddress = 1;
const waitingPerAddress = 2;

let ctx: TestContext;
let stack: TestStack;

beforeAll(async () => {
  ctx = await createTestContext('e2e_login_flood');
  // argon2 at its default cost, so a login lasts long enough (~0.2 s) for concurrent ones to overlap.
  stack = await startTestStack({
    ...ctx.env,
    TRUSTED_PROXIES: 'loopback',
    RATE_LIMIT_LOGIN_FAILURES_PER_IP: String(failuresPerAddress),
    RATE_LIMIT_LOGINS_IN_FLIGHT_PER_IP: String(inFlightPerAddress),
    RATE_LIMIT_LOGINS_WAITING_PER_IP: String(waitingPerAddress),
  }, 1);
  const created = await post('/auth/signup', { username: 'flood_victim', password }, '198.51.100.1');
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await ctx?.cleanup();
});

const post = (path: string, body: unknown, forwardedFor: string) =>
  fetch(`${stack.url()}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
    body: JSON.stringify(body),
  });
const login = (username: string, secret: string, forwardedFor: string) => post('/auth/login', { username, password: secret }, forwardedFor);

async function securityCount(event: string): Promise<number> {
  const text = await (await fetch(`${stack.url()}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pneumatic_security_events_total{') && l.includes(`event="${event}"`));
  return Number(line?.split(' ').pop() ?? NaN);
}

describe('login flood from one address', () => {
  it('refuses an address 429 once it has failed the limit with any names, while another address logs in', async () => {
    const flooder = '203.0.113.50';
    const lockedBefore = await securityCount('login_locked');
    // A new name each time, so the per-name limit never trips: only the per-address one can.
    for (let i = 0; i < failuresPerAddress; i++) expect((await login(`sprayed_${i}`, 'not-the-password', flooder)).status).toBe(401);

    const refused = await login(`sprayed_${failuresPerAddress}`, 'not-the-password', flooder);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(1);
    // Even the right password waits out the window from there; from elsewhere it works.
    expect((await login('flood_victim', password, flooder)).status).toBe(429);
    expect((await login('flood_victim', password, '203.0.113.51')).status).toBe(200);
    await waitFor('two lockouts counted and logged with the address', async () =>
      (await securityCount('login_locked')) === lockedBefore + 2 &&
      stack.gateways[0]!.output.join('').split('\n').some((l) => l.includes('"event":"login_locked"') && l.includes(`"client":"${flooder}"`)));
  });

  it('lets the concurrent logins of an address take turns and refuses those past its line at once, while another address logs in', async () => {
    const flooder = '203.0.113.60';
    // Right passwords, so only the turns can refuse them: attempts are limited, not only failures.
    const flood = Promise.all(Array.from({ length: 12 }, () => login('flood_victim', password, flooder)));
    const elsewhere = await login('flood_victim', password, '203.0.113.61');
    const replies = await flood;
    expect(elsewhere.status).toBe(200);
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(inFlightPerAddress + waitingPerAddress);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = replies.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
    // Successes and refusals give their failure budget back: the address is not locked afterwards.
    expect((await login('flood_victim', password, flooder)).status).toBe(200);
  });
});

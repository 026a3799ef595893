/**
 * The web UI after a long absence (issue #21.5), in headless Chromium: Alice has her conversation
 * with Bob open when her network drops; Bob's 10,000 messages arrive meanwhile. When the network
 * is back the page must reconnect and show all of them, in seq order, without a reload: it asks
 * `sync` page after page while `has_more` says so, without tripping the frame rate limit.
 */
import { createTestContext, jsonRequest, startTestStack, waitFor, type TestContext, type TestStack } from '@pneumatic/testkit';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
import { sendOverBus } from '../chaos/harness/bus-sends';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const backlog = 10_000;
const password = 'correct-horse-1';

let ctx: TestContext;
let stack: TestStack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const sockets: WebSocketRoute[] = [];
let offline = false;

beforeAll(async () => {
  ctx = await createTestContext('e2e_web_ui_catch_up');
  // One after the other, so a browser that fails to start leaves no stack running unstopped.
  stack = await startTestStack(ctx.env, 1);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  page = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.routeWebSocket(/\/ws\?/, (ws) => {
    if (offline) return void ws.close({ code: 4000, reason: 'network down (test)' });
    sockets.push(ws);
    ws.connectToServer();
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await ctx?.cleanup();
});

async function account(username: string) {
  await fetch(`${stack.url()}/auth/signup`, jsonRequest({ username, password }));
  const tokens = (await (await fetch(`${stack.url()}/auth/login`, jsonRequest({ username, password }))).json()) as { access_token: string; refresh_token: string };
  const me = (await (await fetch(`${stack.url()}/auth/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json()) as { id: string };
  return { id: me.id, username, token: tokens.access_token, refresh: tokens.refresh_token };
}

const shownSeqs = () => page.$$eval('#messages li', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.seq)));

it('shows all 10,000 messages missed while offline, in order, once the network is back', async () => {
  const [alice, bob] = [await account('alice'), await account('bob')];
  const created = await fetch(`${stack.url()}/conversations`, {
    ...jsonRequest({ title: 'Bob', member_ids: [alice.id] }),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bob.token}` },
  });
  const { id: conversationId } = (await created.json()) as { id: string };

  await page.goto(`${stack.url()}/`);
  await page.evaluate(({ access, refresh }) => {
    localStorage.setItem('accessToken', access);
    localStorage.setItem('refreshToken', refresh);
  }, { access: alice.token, refresh: alice.refresh });
  await page.goto(`${stack.url()}/static/chat.html#${conversationId}`);
  await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
  await page.locator('#connection', { hasText: 'Connected' }).waitFor({ timeout: 15_000 });

  offline = true;
  await Promise.all(sockets.splice(0).map((ws) => ws.close({ code: 4000, reason: 'network down (test)' })));
  await page.locator('#connection', { hasText: /Offline|Connecting/ }).waitFor({ timeout: 15_000 });
  const bus = await ctx.connectBus('filler');
  const sends = Array.from({ length: backlog }, (_, i) => ({ sender: bob, conversationId, messageId: `away.${i}`, content: `while you were away #${i}` }));
  await sendOverBus(bus, sends, 64);

  offline = false;
  const back = Date.now();
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await waitFor('the page to show every missed message', async () => (await page.locator('#messages li').count()) >= backlog, 60_000, 250).catch(
    async (err: Error) => {
      const seen = `${await page.locator('#messages li').count()} shown, connection "${await page.locator('#connection').textContent()}", notice "${await page.locator('#notice').textContent()}"`;
      throw new Error(`${err.message}: ${seen}`);
    },
  );
  console.log(`web UI showed ${backlog} missed messages ${Date.now() - back} ms after the network came back`);

  expect(await shownSeqs()).toEqual(Array.from({ length: backlog }, (_, i) => i + 1));
  expect(await page.locator('#notice').textContent()).toBe('');
  expect(pageErrors).toEqual([]);
}, 120_000);

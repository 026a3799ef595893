/**
 * The web UI in a real browser (headless Chromium via playwright-core) against the real processes:
 * two users in two browser contexts, each on its own gateway, sign up, open a direct chat, talk both
 * ways live, see each other typing and online, and one reloads and still has the history.
 * Screenshots land in test-results/web-ui/ (git-ignored).
 */
import {
  TestSocket,
  createTestContext,
  jsonRequest,
  startTestStack,
  waitFor,
  type TestContext,
  type TestStack,
} from '@pneumatic/testkit';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = path.join(__dirname, '..', '..', 'test-results', 'web-ui');
const wait = { timeout: 15_000 };
const password = 'correct-horse-1';
const hostile = 'Hi Bob! <script>window.__xss = true</script><img src=x onerror="window.__xss = true">';

let ctx: TestContext;
let stack: TestStack;
let browser: Browser;
let alice: Page;
let bob: Page;
const pageErrors: string[] = [];
// Alice's sockets pass through a route the test can cut, to play a network drop.
const aliceSockets: WebSocketRoute[] = [];
let aliceOffline = false;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  ctx = await createTestContext('e2e_web_ui');
  [stack, browser] = await Promise.all([
    startTestStack(ctx.env),
    chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    }),
  ]);
  // Separate contexts: separate localStorage, so two independent sessions. Alice talks to gateway 1, Bob to gateway 2.
  const open = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    return page;
  };
  [alice, bob] = await Promise.all([open(), open()]);
  await alice.routeWebSocket(/\/ws\?/, (ws) => {
    if (aliceOffline) return void ws.close({ code: 4000, reason: 'network down (test)' });
    aliceSockets.push(ws);
    ws.connectToServer();
  });
}, 60_000);

afterAll(async () => {
  if (process.env.TEST_SHOW_LOGS) console.log(stack?.logs());
  await browser?.close();
  await stack?.stop();
  await ctx?.cleanup();
});

const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
const messages = (page: Page) => page.locator('#messages li');
const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

async function signUp(page: Page, baseUrl: string, username: string, fullName: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('tab', { name: 'Sign Up' }).click();
  const form = page.getByRole('tabpanel', { name: 'Sign Up' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Full name').fill(fullName);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create Account' }).click();
  await page.waitForURL('**/static/chat.html**', wait);
  await page.locator('body[data-ready="true"]').waitFor(wait);
  await page.locator('#connection', { hasText: 'Connected' }).waitFor(wait);
}

describe('web UI in headless Chromium', () => {
  it('serves the login page with its assets and a strict content security policy', async () => {
    const res = await fetch(`${stack.url(0)}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('Create Account');
    for (const asset of ['/static/index.html', '/static/chat.html', '/static/style.css', '/static/js/chat.js']) {
      expect((await fetch(`${stack.url(0)}${asset}`)).status).toBe(200);
    }
  });

  it('signs up two users, each landing on the chat page with a live connection', async () => {
    await signUp(bob, stack.url(1), 'bob', 'Bob Builder');
    await signUp(alice, stack.url(0), 'alice', 'Alice Anders');
    await alice.locator('#me', { hasText: 'Alice Anders (@alice)' }).waitFor(wait);
    await shoot(alice, '01-alice-signed-in');
  }, 40_000);

  it('opens a direct chat from the Users list and shows the other person online', async () => {
    await alice.locator('#user-list button', { hasText: 'Bob Builder' }).click();
    await alice.locator('#conversation-title', { hasText: 'Bob Builder' }).waitFor(wait);
    // Presence: GET /presence when the chat opens, then `online_users` / `user_status` frames.
    await alice.locator('#conversation-presence', { hasText: 'Online' }).waitFor(wait);
  }, 30_000);

  it('delivers a message as text, never as HTML, and it appears for Bob with an unread badge', async () => {
    await composer(alice).fill(hostile);
    await composer(alice).press('Enter');
    await alice.locator('#messages li.mine:not(.pending)', { hasText: 'Hi Bob!' }).waitFor(wait);

    const entry = bob.locator('#conversation-list button', { hasText: 'Alice Anders' });
    await entry.locator('.badge', { hasText: '1' }).waitFor(wait);
    await entry.click();
    await bob.locator('#conversation-presence', { hasText: 'Online' }).waitFor(wait);
    const received = bob.locator('#messages li.theirs').first();
    await received.waitFor(wait);
    expect(await received.locator('.content').textContent()).toBe(hostile);
    expect(await received.locator('.sender').textContent()).toBe('Alice Anders (@alice)');
    expect(await bob.locator('#messages script, #messages img').count()).toBe(0);
    expect(await bob.evaluate(() => (window as unknown as { __xss?: boolean }).__xss)).toBeUndefined();
  }, 30_000);

  it('shows Bob typing to Alice, then his reply live, and Alice\'s answer live to Bob', async () => {
    const typed = composer(bob);
    await typed.pressSequentially('Hello Alice', { delay: 20 });
    // Waits on the gateway's `typing` frame.
    await alice.locator('#typing', { hasText: 'Bob Builder (@bob) is typing' }).waitFor(wait);
    await shoot(alice, '02-alice-sees-typing');

    await typed.pressSequentially(', welcome @alice');
    await typed.press('Enter');
    const reply = alice.locator('#messages li.theirs', { hasText: 'Hello Alice, welcome @alice' });
    await reply.waitFor(wait);
    await reply.locator('.mention-me', { hasText: '@alice' }).waitFor(wait);
    await alice.locator('#typing:empty').waitFor(wait);

    await composer(alice).fill('Doing great, thanks!');
    await composer(alice).press('Enter');
    await bob.locator('#messages li.theirs', { hasText: 'Doing great, thanks!' }).waitFor(wait);
    await shoot(alice, '03-alice-chat');
    await shoot(bob, '04-bob-chat');
  }, 30_000);

  it('keeps the history across a reload, in order', async () => {
    await bob.reload();
    await bob.locator('body[data-ready="true"]').waitFor(wait);
    await bob.locator('#conversation-title', { hasText: 'Alice Anders' }).waitFor(wait);
    await messages(bob).nth(2).waitFor(wait);
    const contents = await bob.locator('#messages li .content').allTextContents();
    expect(contents).toEqual([hostile, 'Hello Alice, welcome @alice', 'Doing great, thanks!']);
    expect(await bob.locator('#messages li.mine').count()).toBe(1);
    await shoot(bob, '05-bob-after-reload');
  }, 30_000);

  it('reacts, edits and deletes, and the other side sees each change live', async () => {
    const bobsReply = alice.locator('#messages li.theirs', { hasText: 'welcome @alice' });
    await bobsReply.hover();
    await bobsReply.getByRole('button', { name: 'React 👍' }).click();
    await bob.locator('#messages li.mine .reaction', { hasText: '👍 1' }).waitFor(wait);

    const last = alice.locator('#messages li.mine', { hasText: 'Doing great, thanks!' });
    await last.hover();
    await last.getByRole('button', { name: 'Edit' }).click();
    await composer(alice).fill('Doing great, thanks for asking!');
    await composer(alice).press('Enter');
    await bob.locator('#messages li.theirs', { hasText: 'thanks for asking!' }).locator('.edited').waitFor(wait);

    const edited = alice.locator('#messages li.mine', { hasText: 'thanks for asking!' });
    await edited.hover();
    alice.once('dialog', (dialog) => void dialog.accept());
    await edited.getByRole('button', { name: 'Delete' }).click();
    await bob.locator('#messages li.theirs.deleted', { hasText: 'This message was deleted' }).waitFor(wait);
    await shoot(bob, '06-bob-sees-reaction-edit-delete');
  }, 30_000);

  it('queues a message typed offline and sends it once on reconnect', async () => {
    aliceOffline = true;
    await Promise.all(aliceSockets.splice(0).map((ws) => ws.close({ code: 4000, reason: 'network down (test)' })));
    await alice.locator('#connection', { hasText: /Offline|Connecting/ }).waitFor(wait);
    await composer(alice).fill('Sent from a tunnel');
    await composer(alice).press('Enter');
    await alice.locator('#messages li.mine.pending', { hasText: 'Sent from a tunnel' }).waitFor(wait);
    await alice.locator('#connection', { hasText: '1 waiting to send' }).waitFor(wait);
    await shoot(alice, '07-alice-offline-queue');

    aliceOffline = false; // the next backoff retry gets through, resends and syncs
    await alice.locator('#connection', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });
    await alice.locator('#messages li.mine:not(.pending)', { hasText: 'Sent from a tunnel' }).waitFor(wait);
    await bob.locator('#messages li.theirs', { hasText: 'Sent from a tunnel' }).waitFor(wait);
    expect(await bob.locator('#messages li', { hasText: 'Sent from a tunnel' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 40_000);

  it('names someone whose full name is another user\'s username by their own @username everywhere', async () => {
    // Mallory, not in the browser, sets her full name to Bob's username and writes to Alice.
    const base = stack.url(0);
    expect((await fetch(`${base}/auth/signup`, jsonRequest({ username: 'mallory', password, full_name: 'bob' }))).status).toBe(201);
    const { access_token: token } = await (await fetch(`${base}/auth/login`, jsonRequest({ username: 'mallory', password }))).json();
    const bearer = (init: RequestInit = {}) => ({ ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
    const { users } = await (await fetch(`${base}/users?q=alice`, bearer())).json();
    const direct = await (await fetch(`${base}/conversations`, bearer(jsonRequest({ title: '', member_ids: [users[0].id] })))).json();
    const said = await fetch(`${base}/conversations/${direct.id}/messages`, bearer(jsonRequest({ content: 'It is me, Bob. New phone.' })));
    expect(said.status).toBe(201);

    const entry = alice.locator('#conversation-list button', { hasText: '@mallory' });
    await entry.waitFor(wait);
    expect(await entry.locator('.conversation-name').textContent()).toBe('bob (@mallory)');
    await entry.click();
    await alice.locator('#conversation-title', { hasText: 'bob (@mallory)' }).waitFor(wait);
    const message = alice.locator('#messages li.theirs', { hasText: 'New phone.' });
    await message.waitFor(wait);
    expect(await message.locator('.sender').textContent()).toBe('bob (@mallory)');
    expect(await alice.locator('#user-list .user-name').allTextContents()).toEqual(
      expect.arrayContaining(['Bob Builder (@bob)', 'bob (@mallory)']),
    );

    const socket = await TestSocket.open(`${stack.wsUrl(0)}/ws?token=${token}`);
    try {
      socket.send({ type: 'join', conversation_id: direct.id, ref: 'join' });
      await socket.next((f) => f.ref === 'join' && f.type === 'joined');
      socket.send({ type: 'typing', conversation_id: direct.id, is_typing: true });
      await alice.locator('#typing', { hasText: 'bob (@mallory) is typing' }).waitFor(wait);
    } finally {
      socket.ws.close();
    }
    await shoot(alice, '08-alice-sees-impostor-by-username');
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('refreshes the token before it expires and renews the open socket with an auth frame', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The page's clock only: the server's stays real, so the tokens it issues are genuine.
    await page.clock.install();
    const opened: string[] = [];
    const sent: { type: string; token?: string }[] = [];
    const received: { type: string; expires_at?: string }[] = [];
    page.on('websocket', (ws) => {
      opened.push(ws.url());
      ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload))));
      ws.on('framereceived', (f) => received.push(JSON.parse(String(f.payload))));
    });
    try {
      await signUp(page, stack.url(0), 'carol', 'Carol Renewer');
      const first = await page.evaluate(() => localStorage.getItem('accessToken'));
      // Into the last minute of the 30-minute token: the page refreshes and hands the socket the new token.
      await page.clock.fastForward('29:10');
      const authenticated = await waitFor('the socket to be renewed', () => received.find((f) => f.type === 'authenticated'), 15_000);
      const renewal = sent.find((f) => f.type === 'auth')!;
      expect(renewal.token).not.toBe(first);
      expect(Date.parse(authenticated.expires_at!)).toBeGreaterThan(Date.now() + 29 * 60_000);
      // Same socket throughout: renewed, not reconnected.
      expect(opened).toHaveLength(1);
      await page.locator('#connection', { hasText: 'Connected' }).waitFor(wait);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 40_000);
});

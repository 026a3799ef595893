/**
 * Response headers of the real gateway process: `X-Content-Type-Options: nosniff` on every kind of
 * answer, and pages (web UI, /docs, /redoc) that no other site can frame, checked in headless
 * Chromium, which must still run the docs under their Content-Security-Policy.
 */
import { createTestContext, jsonRequest, spawnService, waitFor, type ServiceProcess, type TestContext } from '@pneumatic/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const wait = { timeout: 15_000 };

let ctx: TestContext;
let gateway: ServiceProcess;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ctx = await createTestContext('e2e_headers');
  // The gateway alone: every answer checked here is its own (validation, auth, docs, files).
  [gateway, browser] = await Promise.all([
    spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'headers' }),
    chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] }),
  ]);
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await ctx?.cleanup();
});

const answers: [string, () => Promise<Response>, number][] = [
  ['JSON (/health)', () => fetch(`${base}/health`), 200],
  ['the OpenAPI document', () => fetch(`${base}/openapi.json`), 200],
  ['metrics', () => fetch(`${base}/metrics`), 200],
  ['a validation error', () => fetch(`${base}/auth/signup`, jsonRequest({ username: 'x' })), 422],
  ['a malformed JSON body', () => fetch(`${base}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' }), 400],
  ['a missing token', () => fetch(`${base}/auth/me`), 401],
  ['an unknown path', () => fetch(`${base}/no/such/route`), 404],
  ['a static file', () => fetch(`${base}/static/style.css`), 200],
  ['a docs asset', () => fetch(`${base}/docs/assets/swagger-ui-bundle.js`), 200],
  ['/docs', () => fetch(`${base}/docs`), 200],
  ['/redoc', () => fetch(`${base}/redoc`), 200],
];

const pages = ['/', '/static/chat.html', '/docs', '/redoc'];

describe('security headers', () => {
  it.each(answers)('%s carries X-Content-Type-Options: nosniff', async (_name, request, status) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each(pages)('%s refuses to be framed (CSP frame-ancestors and X-Frame-Options)', async (page) => {
    const res = await fetch(`${base}${page}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('the docs pages under their policy, in Chromium', () => {
  let page: Page;
  const violations: string[] = [];
  const errors: string[] = [];

  beforeEach(async () => {
    page = await (await browser.newContext()).newPage();
    violations.length = 0;
    errors.length = 0;
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
  });

  afterEach(async () => void (await page.context().close()));

  it('/docs runs Swagger UI and lists the routes with no policy violation', async () => {
    await page.goto(`${base}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Pneumatic' }).waitFor(wait);
    await page.locator('.opblock-summary-path', { hasText: '/auth/login' }).first().waitFor(wait);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  }, 30_000);

  it('/redoc renders with its style and no policy violation', async () => {
    await page.goto(`${base}/redoc`);
    await page.locator('h1', { hasText: 'Pneumatic API reference' }).waitFor(wait);
    // The style block is allowed by its hash: the body is centred by it.
    expect(await page.evaluate(() => getComputedStyle(document.body).maxWidth)).not.toBe('none');
    expect(violations).toEqual([]);
  }, 30_000);

  it('another site framing /docs gets nothing', async () => {
    await page.setContent(`<iframe src="${base}/docs"></iframe>`);
    await waitFor('Chromium to refuse the frame', () => violations.some((v) => v.includes("frame-ancestors 'none'")), wait.timeout);
    expect(await page.frames()[1]?.locator('.swagger-ui').count().catch(() => 0)).toBe(0);
  }, 30_000);
});

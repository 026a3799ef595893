/**
 * The repo's nginx config (deploy/nginx/nginx.conf, templated to this test's gateways) in front of
 * real gateways. With the deployed TRUSTED_PROXIES=1 the login limit keys by the address nginx saw,
 * so a client's own X-Forwarded-For cannot buy a fresh budget; with TRUSTED_PROXIES=loopback (as if
 * another trusted proxy stood before nginx) the forwarded address passes through nginx intact.
 * Needs Debian's nginx (NGINX_PATH).
 */
import { createTestContext, freePort, spawnService, startTestStack, waitFor, type ServiceProcess, type TestContext, type TestStack } from '@pneumatic/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const nginxPath = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const password = 'correct-horse-battery';

let ctx: TestContext;
let stack: TestStack;
let oneHop: ServiceProcess;
let loopback: ServiceProcess;
const proxies: { nginx: ChildProcess; dir: string; url: string }[] = [];

/** The deployed config, with this test's gateway as the one upstream and files under `dir`. */
function templatedConfig(dir: string, listenPort: number, gatewayPort: number): string {
  const deployed = readFileSync(path.join(__dirname, '..', '..', 'deploy', 'nginx', 'nginx.conf'), 'utf8');
  const templated = deployed
    .replace('set $gateways gateways:8000;', `set $gateways 127.0.0.1:${gatewayPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${listenPort};`)
    .replace('worker_processes auto;', `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`)
    .replace('http {', `http {\n  access_log off;\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n')}`);
  // An address needs no resolver, so the deployed one (Docker's DNS) stays in and goes unused.
  expect(templated).toContain(`set $gateways 127.0.0.1:${gatewayPort};`);
  expect(templated).not.toContain('gateways:8000');
  return templated;
}

beforeAll(async () => {
  ctx = await createTestContext('e2e_nginx_proxy');
  stack = await startTestStack({ ...ctx.env, ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '2' }, 1);
  oneHop = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'one-hop', TRUSTED_PROXIES: '1' });
  loopback = await spawnService('gateway', { ...ctx.env, GATEWAY_ID: 'loopback', TRUSTED_PROXIES: 'loopback' });
  for (const gateway of [oneHop, loopback]) proxies.push(await startNginx(gateway.port));
}, 60_000);

async function startNginx(gatewayPort: number): Promise<{ nginx: ChildProcess; dir: string; url: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumatic-nginx-'));
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t));
  const port = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), templatedConfig(dir, port, gatewayPort));
  const nginx = spawn(nginxPath, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx to proxy the gateway', async () => (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200, 10_000);
  return { nginx, dir, url };
}

afterAll(async () => {
  for (const { nginx, dir } of proxies) {
    if (nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  await Promise.all([oneHop, loopback].map((g) => g?.stop()));
  await stack?.stop();
  await ctx?.cleanup();
});

const login = (proxyUrl: string, username: string, secret: string, forwardedFor: string) =>
  fetch(`${proxyUrl}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
    body: JSON.stringify({ username, password: secret }),
  });

async function failTenTimes(proxyUrl: string, username: string): Promise<void> {
  const signup = await fetch(`${proxyUrl}/auth/signup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(signup.status).toBe(201);
  for (let i = 0; i < 10; i++) expect((await login(proxyUrl, username, 'wrong-password-271', '203.0.113.7')).status).toBe(401);
}

it('with the deployed one trusted hop, a forged X-Forwarded-For does not escape the lock on the address nginx saw', async () => {
  await failTenTimes(proxies[0]!.url, 'proxied_victim');
  expect((await login(proxies[0]!.url, 'proxied_victim', password, '203.0.113.8')).status).toBe(429);
  const log = await waitFor('the lockout in the log', () => {
    const text = oneHop.output.join('');
    return text.includes('"event":"login_locked"') ? text : undefined;
  });
  expect(log).toContain('"client":"127.0.0.1"');
  expect(log).not.toContain('203.0.113.8');
});

it('with loopback trusted, ten wrong passwords through nginx lock only the forwarded address', async () => {
  await failTenTimes(proxies[1]!.url, 'forwarded_victim');
  expect((await login(proxies[1]!.url, 'forwarded_victim', password, '203.0.113.7')).status).toBe(429);
  expect((await login(proxies[1]!.url, 'forwarded_victim', password, '203.0.113.8')).status).toBe(200);
});

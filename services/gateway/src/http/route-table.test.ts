import { httpRoutes } from '@pneumatic/contracts';
import { createLogger, createMetrics, type Bus } from '@pneumatic/platform';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AccessTokenVerifier } from '../auth/access-tokens';
import { createApp } from './app';
import { isExempt } from './rate-limits';
import { SecurityEvents } from './security-events';
import { parseTrustedProxies } from './trusted-proxies';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `method path` the express app serves, from its router (nested routers included). */
function servedRoutes(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) return Object.keys(layer.route.methods).map((method) => `${method} ${layer.route!.path}`);
    return layer.handle?.stack ? servedRoutes(layer.handle.stack) : [];
  });
}

// Building the app wires routes only: no route is called, so the bus and verifier are never used.
const logger = createLogger('route-table-test', 'silent');
const metrics = createMetrics('route-table-test');
const app = createApp({
  bus: {} as Bus,
  verifier: {} as AccessTokenVerifier,
  logger,
  metrics,
  readiness: {},
  allowedOrigins: [],
  trustedProxies: parseTrustedProxies(''),
  securityEvents: new SecurityEvents(logger, metrics),
});
const served = servedRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack);
const contract = httpRoutes.map((r) => ({ route: `${r.method} ${r.path.replace(/\{(\w+)\}/g, ':$1')}`, path: r.path, tag: r.tag }));
const webUi = path.join(__dirname, '..', '..', 'static');
// Express serves the web UI's files from its folder, not as routes; the Swagger page loads its script.
const isServed = ({ route, path: routePath }: (typeof contract)[number]) =>
  served.includes(route) || (routePath.startsWith('/static/') && existsSync(path.join(webUi, routePath.slice('/static/'.length))));
const pageAssets = ['get /docs/init.js'];

describe('the HTTP route table', () => {
  it('serves every route of the contract (and so of the OpenAPI document), and nothing else', () => {
    const missing = contract.filter((r) => !isServed(r)).map((r) => r.route);
    const extra = served.filter((route) => !contract.some((r) => r.route === route) && !pageAssets.includes(route));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('exempts from the rate limits exactly the operational endpoints, docs and the web UI', () => {
    const exemptTags = new Set(['operations', 'web']);
    const wrong = contract.filter((r) => isExempt(r.path) !== exemptTags.has(r.tag)).map((r) => `${r.route} (${r.tag})`);
    expect(wrong).toEqual([]);
  });
});

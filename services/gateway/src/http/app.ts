import { asyncApiDocument, limits } from '@pneumatic/contracts';
import { checkReadiness, type Bus, type Logger, type Metrics, type ReadinessChecks } from '@pneumatic/platform';
import express, { type Express } from 'express';
import path from 'node:path';
import type { AccessTokenVerifier } from '../auth/access-tokens';
import { apiDocs } from './api-docs';
import { errorHandler, notFound } from './api-errors';
import { authRoutes } from './auth-routes';
import { authenticate } from './authenticate';
import { conversationRoutes } from './conversation-routes';
import { messageRoutes } from './message-routes';
import { cors } from './cors';
import type { RateLimiter } from './rate-limits';
import type { SecurityEvents } from './security-events';
import { noSniff, pageHeaders } from './security-headers';
import type { TrustedProxies } from './trusted-proxies';
import { userRoutes } from './user-routes';

export interface AppDeps {
  bus: Bus;
  verifier: AccessTokenVerifier;
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessChecks;
  allowedOrigins: string[];
  trustedProxies: TrustedProxies;
  securityEvents: SecurityEvents;
  /** Absent in tests of routes alone; main.ts always passes one. */
  rateLimiter?: RateLimiter;
}

/** The public HTTP API (shared/API.md): every route maps to a NATS request. */
export function createApp(deps: AppDeps): Express {
  const { bus, verifier, logger, metrics, readiness, allowedOrigins, rateLimiter } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(noSniff);
  // req.ip, used by every limit and log, is the client's address only behind proxies trusted to forward it.
  app.set('trust proxy', deps.trustedProxies.setting);
  app.use(deps.securityEvents.watchHttp);
  app.set('query parser', 'simple');
  app.use(cors(allowedOrigins));

  app.get('/health', (_req, res) => void res.json({ status: 'healthy' }));
  app.get('/ready', async (_req, res) => {
    const { ready, body } = await checkReadiness(readiness);
    res.status(ready ? 200 : 503).json(body);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(apiDocs());
  const asyncApi = asyncApiDocument();
  app.get('/asyncapi.json', (_req, res) => void res.json(asyncApi));

  // Web UI: plain files, revalidated by ETag (no build step, so no fingerprinted names); the CSP
  // forbids inline script, a second line of defence behind rendering message content as text.
  const webUi = path.join(__dirname, '..', '..', 'static');
  const webUiPage = pageHeaders("default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:");
  const webUiHeaders = (res: express.Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    webUiPage(res);
  };
  app.get('/', (_req, res) => {
    webUiHeaders(res);
    res.sendFile(path.join(webUi, 'index.html'));
  });
  app.use('/static', express.static(webUi, { index: false, setHeaders: webUiHeaders }));

  // Before body parsing, so oversized or malformed bodies count too.
  if (rateLimiter) app.use(rateLimiter.perIp);
  // Bodies are JSON whatever their declared type, except the OAuth2 form at /auth/token.
  const isForm = (req: { headers: { 'content-type'?: string } }) =>
    req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ?? false;
  app.use(express.json({ limit: limits.httpBodyMaxBytes, strict: true, type: (req) => !isForm(req) }));
  const authenticated = rateLimiter ? rateLimiter.perUser(authenticate(verifier)) : authenticate(verifier);
  app.use(authRoutes(bus, authenticated, rateLimiter?.loginAttempts));
  app.use(userRoutes(bus, authenticated));
  app.use(conversationRoutes(bus, authenticated));
  app.use(messageRoutes(bus, authenticated));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

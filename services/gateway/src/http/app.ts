import { limits } from '@pneumatic/contracts';
import { checkReadiness, type Bus, type Logger, type Metrics, type ReadinessChecks } from '@pneumatic/platform';
import express, { type Express } from 'express';
import type { AccessTokenVerifier } from '../auth/access-tokens';
import { errorHandler, notFound } from './api-errors';
import { authRoutes } from './auth-routes';
import { authenticate } from './authenticate';
import { conversationRoutes } from './conversation-routes';
import { cors } from './cors';
import { userRoutes } from './user-routes';

export interface AppDeps {
  bus: Bus;
  verifier: AccessTokenVerifier;
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessChecks;
  allowedOrigins: string[];
}

/** The public HTTP API (shared/API.md): every route maps to a NATS request. */
export function createApp({ bus, verifier, logger, metrics, readiness, allowedOrigins }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
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

  // Bodies are JSON whatever their declared type, except the OAuth2 form at /auth/token.
  const isForm = (req: { headers: { 'content-type'?: string } }) =>
    req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ?? false;
  app.use(express.json({ limit: limits.httpBodyMaxBytes, strict: true, type: (req) => !isForm(req) }));
  const authenticated = authenticate(verifier);
  app.use(authRoutes(bus, authenticated));
  app.use(userRoutes(bus, authenticated));
  app.use(conversationRoutes(bus, authenticated));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics';

export type ReadinessChecks = Record<string, () => Promise<boolean> | boolean>;

export interface Readiness {
  ready: boolean;
  body: { status: 'ready' | 'not ready'; checks: Record<string, 'ok' | 'failing'> };
}

export async function checkReadiness(checks: ReadinessChecks): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, (await Promise.resolve(check()).catch(() => false)) ? 'ok' : 'failing'] as const),
  );
  const ready = entries.every(([, state]) => state === 'ok');
  return { ready, body: { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(entries) } };
}

/** /health, /ready and /metrics for services whose only HTTP is operational. */
export async function startAdminServer(port: number, metrics: Metrics, checks: ReadinessChecks): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    switch (req.url) {
      case '/health':
        return send(200, JSON.stringify({ status: 'healthy' }));
      case '/ready': {
        const { ready, body } = await checkReadiness(checks);
        return send(ready ? 200 : 503, JSON.stringify(body));
      }
      case '/metrics':
        return send(200, await metrics.registry.metrics(), metrics.registry.contentType);
      default:
        return send(404, JSON.stringify({ detail: 'not found', code: 'not_found' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
  return server;
}

export const portOf = (server: http.Server) => (server.address() as AddressInfo).port;

import type { AddressInfo } from 'node:net';
import { startAdminServer } from './admin-server';
import { createMetrics } from './metrics';

describe('admin server', () => {
  it('answers health, readiness, metrics and unknown paths with nosniff, so no browser guesses their type', async () => {
    const server = await startAdminServer(0, createMetrics('admin-test'), { database: () => false });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const answers = await Promise.all(['/health', '/ready', '/metrics', '/nowhere'].map((p) => fetch(`${base}${p}`)));
      expect(answers.map((r) => r.status)).toEqual([200, 503, 200, 404]);
      expect(answers.map((r) => r.headers.get('x-content-type-options'))).toEqual(['nosniff', 'nosniff', 'nosniff', 'nosniff']);
    } finally {
      server.close();
    }
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * AUTH_SIGNING_KEY if set, else a development key kept under `dataDir` so tokens survive a
 * restart of a local run; production always passes its own.
 */
export function devSigningKey(dataDir: string): string {
  if (process.env.AUTH_SIGNING_KEY) return process.env.AUTH_SIGNING_KEY;
  const file = path.join(dataDir, 'auth-signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8');
}

/**
 * Imported first by every service's main.ts (or loaded with `node --require`), so the HTTP and pg
 * instrumentations are in place before anything requires `http` or `pg`. The service name is
 * OTEL_SERVICE_NAME, else the folder of the entry script (services/<name>/dist/main.js).
 */
import path from 'node:path';
import { startTelemetry } from './telemetry';

const entry = process.argv[1] ?? '';
const folder = path.basename(path.resolve(path.dirname(entry), '..'));
startTelemetry(folder || 'pneumatic');

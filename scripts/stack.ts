/**
 * `npm run stack`: every service as its own process (two gateways, on :8000 and :8001, by default) against the
 * Postgres, NATS and Redis named in env. Restarts a process that dies, with backoff, as a container
 * runtime would; Ctrl-C stops everything.
 */
import { ensureDatabase } from '@pneumatic/platform';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { devSigningKey } from './dev-signing-key';

const root = path.resolve(__dirname, '..', '..');
const dataDir = path.join(root, '.data');

interface ProcessSpec {
  name: string;
  service: string;
  env: Record<string, string>;
}

const basePort = Number(process.env.PORT ?? 8000);
// Several stacks can share a machine (the chaos suite runs its own next to a developer's).
const adminBase = Number(process.env.ADMIN_PORT_BASE ?? 9101);
// The scale-out suites run more gateways (ports PORT, PORT+1, ...) and more messages replicas
// (admin ports ADMIN_PORT_BASE+5, +6, ...; the first keeps +2).
const gateways = positiveCount('STACK_GATEWAYS', 2);
const messagesReplicas = positiveCount('STACK_MESSAGES_REPLICAS', 1);
const specs: ProcessSpec[] = [
  { name: 'auth', service: 'auth', env: { ADMIN_PORT: String(adminBase) } },
  { name: 'conversations', service: 'conversations', env: { ADMIN_PORT: String(adminBase + 1) } },
  { name: 'messages', service: 'messages', env: { ADMIN_PORT: String(adminBase + 2) } },
  ...Array.from({ length: messagesReplicas - 1 }, (_, i) => ({ name: `messages-${i + 2}`, service: 'messages', env: { ADMIN_PORT: String(adminBase + 5 + i) } })),
  { name: 'presence', service: 'presence', env: { ADMIN_PORT: String(adminBase + 3) } },
  ...Array.from({ length: gateways }, (_, i) => ({ name: `gateway-${i + 1}`, service: 'gateway', env: { PORT: String(basePort + i), GATEWAY_ID: `gateway-${i + 1}` } })),
  // The Kafka export joins only when there is a broker to export to (it reads KAFKA_BROKERS itself).
  ...(process.env.KAFKA_BROKERS ? [{ name: 'exporter', service: 'exporter', env: { ADMIN_PORT: String(adminBase + 4) } }] : []),
];

function positiveCount(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 16) throw new Error(`${name} must be a whole number from 1 to 16`);
  return value;
}

const children = new Map<string, ChildProcess>();
let stopping = false;

/**
 * Node flags for every service. The stack puts nine busy processes on one machine, so V8 collects
 * garbage on each main thread alone: a parallel pause waits for helper threads the scheduler may
 * not run for a while, and on the 2-core box that stretched the tail (open-loop p99 about 15.5 ms
 * against 13 ms single-threaded; closed loop 2,607 against 2,894 messages/s). STACK_NODE_ARGS adds
 * flags, e.g. `STACK_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"` to profile a run.
 */
const nodeArgs = ['--single-threaded-gc', ...(process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean)];

function start(spec: ProcessSpec, sharedEnv: Record<string, string>, restarts = 0): void {
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'services', spec.service, 'dist', 'main.js')], {
    env: { ...process.env, ...sharedEnv, ...spec.env },
    stdio: 'inherit',
  });
  children.set(spec.name, child);
  // One line per start, so an operator (or the chaos suite) can tell which pid is which process.
  console.error(JSON.stringify({ level: 'info', service: 'stack', process: spec.name, pid: child.pid, restarts, msg: 'process started' }));
  const startedAt = Date.now();
  child.once('exit', (code, signal) => {
    children.delete(spec.name);
    if (stopping) return;
    // A process that ran for a while earns a fresh backoff; one that keeps crashing waits longer.
    const attempt = Date.now() - startedAt > 30_000 ? 0 : restarts + 1;
    const delay = Math.min(500 * 2 ** attempt, 30_000);
    console.error(JSON.stringify({ level: 'warn', service: 'stack', process: spec.name, code, signal, restartInMs: delay, msg: 'process exited; restarting' }));
    setTimeout(() => !stopping && start(spec, sharedEnv, attempt), delay);
  });
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pneumatic';
  await ensureDatabase(databaseUrl);
  const sharedEnv = { DATABASE_URL: databaseUrl, AUTH_SIGNING_KEY: devSigningKey(dataDir) };
  for (const spec of specs) start(spec, sharedEnv);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) child.kill('SIGTERM');
    const force = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 15_000);
    const check = setInterval(() => {
      if (children.size > 0) return;
      clearInterval(check);
      clearTimeout(force);
      process.exit(0);
    }, 100);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const exporting = process.env.KAFKA_BROKERS ? `, Kafka exporter ${adminBase + 4} (to ${process.env.KAFKA_BROKERS})` : '';
  const gatewayUrls = Array.from({ length: gateways }, (_, i) => `http://localhost:${basePort + i}`).join(', ');
  const extraMessages = messagesReplicas > 1 ? `, messages replicas ${adminBase + 5}-${adminBase + 3 + messagesReplicas}` : '';
  console.log(`Pneumatic stack starting: ${gatewayUrls}, admin ports ${adminBase}-${adminBase + 3}${extraMessages}${exporting} (Ctrl-C stops)`);
}

main().catch((err) => {
  console.error('stack failed to start:', err);
  process.exit(1);
});

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './infrastructure';
import { waitFor } from './wait';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface ServiceProcess {
  name: string;
  /** The admin port for most services; the public port for the gateway. */
  port: number;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns a real service process from its build and waits until its /ready answers 200. */
export async function spawnService(
  service: 'auth' | 'conversations' | 'messages' | 'presence' | 'gateway' | 'exporter',
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
): Promise<ServiceProcess> {
  const port = await freePort();
  const portEnv = service === 'gateway' ? { PORT: String(port) } : { ADMIN_PORT: String(port) };
  const child = spawn(process.execPath, [path.join(repoRoot, 'services', service, 'dist', 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env, ...portEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 2000) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: ServiceProcess = {
    name: service,
    port,
    child,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  try {
    await waitFor(
      `${service} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${output.join('')}`);
        const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      readyTimeoutMs,
      50,
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return proc;
}

export interface TestStack {
  services: ServiceProcess[];
  gateways: ServiceProcess[];
  /** http://127.0.0.1:<port> of gateway `i`. */
  url(i?: number): string;
  wsUrl(i?: number): string;
  logs(): string;
  stop(): Promise<void>;
}

/** Every service as a real process, with `gatewayCount` gateways, in one suite's isolated world. */
export async function startTestStack(env: Record<string, string>, gatewayCount = 2): Promise<TestStack> {
  const backends = await Promise.all(
    (['auth', 'conversations', 'messages', 'presence'] as const).map((s) => spawnService(s, env)),
  );
  const gateways = await Promise.all(
    Array.from({ length: gatewayCount }, (_, i) => spawnService('gateway', { ...env, GATEWAY_ID: `gateway-${i + 1}` })),
  );
  const services = [...backends, ...gateways];
  return {
    services,
    gateways,
    url: (i = 0) => `http://127.0.0.1:${gateways[i]!.port}`,
    wsUrl: (i = 0) => `ws://127.0.0.1:${gateways[i]!.port}`,
    logs: () => services.map((s) => s.output.join('')).join(''),
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
}

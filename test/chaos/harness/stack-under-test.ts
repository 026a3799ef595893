/**
 * `scripts/dist/stack.js` (what `npm run stack` runs) against private infrastructure: the harness
 * reads its "process started" lines to know each process's pid, so it can kill -9 one and watch the
 * stack restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { freePortRange, waitFor } from '@pneumatic/testkit';
import type { PrivateInfrastructure } from './private-infrastructure';

/** A process of the stack: `messages-2`, `gateway-3` and so on exist when the topology asks for them. */
export type ProcessName = 'auth' | 'conversations' | 'messages' | 'presence' | `messages-${number}` | `gateway-${number}`;

/** How many of the scaled processes the stack runs (scripts/stack.ts: STACK_GATEWAYS, STACK_MESSAGES_REPLICAS). */
export interface Topology {
  gateways: number;
  messagesReplicas: number;
}

const defaultTopology: Topology = { gateways: 2, messagesReplicas: 1 };

function processNamesOf({ gateways, messagesReplicas }: Topology): ProcessName[] {
  return [
    'auth',
    'conversations',
    'messages',
    ...Array.from({ length: messagesReplicas - 1 }, (_, i) => `messages-${i + 2}` as const),
    'presence',
    ...Array.from({ length: gateways }, (_, i) => `gateway-${i + 1}` as const),
  ];
}
/** Every process must answer /ready 200 within this long after a fault ends (docs/testing.md documents it). */
export const readyBoundMs = 60_000;

const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface StartedLine {
  service?: string;
  process?: ProcessName;
  pid?: number;
  msg?: string;
}

export class StackUnderTest {
  readonly pids = new Map<ProcessName, number>();
  readonly starts = new Map<ProcessName, number>();
  /** The last lines of output, for a failure message. */
  readonly tail: string[] = [];
  readonly processNames: ProcessName[];

  private constructor(
    private readonly child: ChildProcess,
    readonly gatewayPort: number,
    readonly adminPortBase: number,
    readonly topology: Topology,
  ) {
    this.processNames = processNamesOf(topology);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.read(line));
    }
  }

  static async start(infra: PrivateInfrastructure, extraEnv: Record<string, string> = {}, topology: Topology = defaultTopology): Promise<StackUnderTest> {
    const gatewayPort = await freePortRange(topology.gateways);
    const adminPortBase = await freePortRange(4 + topology.messagesReplicas);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'dist', 'stack.js')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'development',
        LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
        PORT: String(gatewayPort),
        ADMIN_PORT_BASE: String(adminPortBase),
        DATABASE_URL: infra.databaseUrl,
        NATS_URL: infra.natsUrl,
        REDIS_URL: infra.redisUrl,
        NATS_SUBJECT_PREFIX: 'chaos',
        REDIS_KEY_PREFIX: 'chaos:',
        AUTH_SIGNING_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        // Cheap hashing: the suite signs up users, it does not measure argon2.
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
        // Every client is 127.0.0.1, and the checker reads whole histories.
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_USER: '1000000',
        RATE_LIMIT_LOGIN_ATTEMPTS: '1000',
        WS_UPGRADES_PER_IP: '1000000',
        WS_PING_INTERVAL_SECONDS: '5',
        STACK_GATEWAYS: String(topology.gateways),
        STACK_MESSAGES_REPLICAS: String(topology.messagesReplicas),
        ...extraEnv,
      },
    });
    const stack = new StackUnderTest(child, gatewayPort, adminPortBase, topology);
    await stack.allReady(90_000);
    return stack;
  }

  /** Gateway `gateway` (0 = gateway-1) over HTTP. */
  httpUrl(gateway = 0): string {
    return `http://127.0.0.1:${this.gatewayPort + gateway}`;
  }

  wsUrls(): string[] {
    return Array.from({ length: this.topology.gateways }, (_, i) => `ws://127.0.0.1:${this.gatewayPort + i}`);
  }

  /** Where a process serves /health, /ready and /metrics (admin ports as scripts/stack.ts assigns them). */
  probeUrl(name: ProcessName): string {
    const gateway = /^gateway-(\d+)$/.exec(name);
    if (gateway) return this.httpUrl(Number(gateway[1]) - 1);
    const replica = /^messages-(\d+)$/.exec(name);
    const offset = replica ? 3 + Number(replica[1]) : ['auth', 'conversations', 'messages', 'presence'].indexOf(name);
    return `http://127.0.0.1:${this.adminPortBase + offset}`;
  }

  async isReady(name: ProcessName): Promise<boolean> {
    const res = await fetch(`${this.probeUrl(name)}/ready`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    return res?.status === 200;
  }

  /** Waits until every process answers /ready 200; returns how long it took. */
  async allReady(timeoutMs: number): Promise<number> {
    const started = Date.now();
    await waitFor(
      'every process of the stack to be ready',
      async () => {
        if (this.child.exitCode !== null) throw new Error(`stack exited: ${this.tail.join('\n')}`);
        const states = await Promise.all(this.processNames.map((n) => this.isReady(n)));
        return states.every(Boolean);
      },
      timeoutMs,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- stack output ---\n${this.tail.slice(-40).join('\n')}`);
    });
    return Date.now() - started;
  }

  /** kill -9 one process; resolves once the stack has started its replacement. */
  kill9(name: ProcessName): Promise<void> {
    return this.signalAndAwaitRestart(name, 'SIGKILL');
  }

  /** SIGTERM to one process (it shuts down gracefully); resolves once the stack has started its replacement. */
  terminate(name: ProcessName): Promise<void> {
    return this.signalAndAwaitRestart(name, 'SIGTERM');
  }

  private async signalAndAwaitRestart(name: ProcessName, signal: NodeJS.Signals): Promise<void> {
    const pid = this.pids.get(name);
    if (!pid) throw new Error(`no pid known for ${name}`);
    const startsBefore = this.starts.get(name) ?? 0;
    process.kill(pid, signal);
    await waitFor(`${name} to be restarted by the stack`, () => (this.starts.get(name) ?? 0) > startsBefore, 60_000, 50);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      // The stack did not stop its children in time: end the ones it started, by pid.
      for (const pid of this.pids.values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      this.child.kill('SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(timer);
  }

  private read(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 400) this.tail.shift();
    if (!line.includes('"service":"stack"')) return;
    let parsed: StartedLine;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (parsed.msg === 'process started' && parsed.process && parsed.pid) {
      this.pids.set(parsed.process, parsed.pid);
      this.starts.set(parsed.process, (this.starts.get(parsed.process) ?? 0) + 1);
    }
  }
}

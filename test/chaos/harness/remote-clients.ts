/**
 * The test's side of flaky-clients.ts: starts that process (optionally inside a network namespace),
 * drives it, and stands in for its clients in the delivery check, which calls `catchUp` on every
 * client at once; one `catch-up` request to the process answers them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { ChatUser, SendRecord, SessionRecord } from './chat-client';
import type { CheckedClient } from './delivery-check';
import type { ClientPlan, ClientState, Command, LoopLag, Report, RunPlan } from './flaky-clients';

/** tsc -b compiles test/ here (test/tsconfig.json); `npm run test:chaos` builds first. */
const script = path.resolve(__dirname, '..', '..', '..', 'node_modules', '.cache', 'test-dist', 'chaos', 'harness', 'flaky-clients.js');

export class RemoteClient implements CheckedClient {
  readonly label: string;
  readonly user: ChatUser;
  readonly conversations: string[];
  sends: SendRecord[] = [];
  shown = new Map<string, string[]>();
  violations: string[] = [];
  sessionLog: SessionRecord[] = [];
  stats: ClientState['stats'] | undefined;

  constructor(
    plan: ClientPlan,
    private readonly owner: RemoteClients,
  ) {
    this.label = plan.label;
    this.user = plan.user;
    this.conversations = plan.conversations;
  }

  async catchUp(expected: Map<string, number>, timeoutMs: number): Promise<boolean> {
    const state = (await this.owner.catchUpAll(expected, timeoutMs)).get(this.label)!;
    Object.assign(this, { sends: state.sends, shown: new Map(state.shown), violations: state.violations, sessionLog: state.sessions, stats: state.stats });
    return state.caughtUp;
  }
}

export class RemoteClients {
  readonly clients: RemoteClient[];
  /** The process's stderr, for a failure message. */
  readonly tail: string[] = [];
  /** The clients' event-loop lag over the run, known after the delivery check's catch-up. */
  lag: LoopLag | undefined;
  private readonly reports: Report[] = [];
  private waiter: (() => void) | undefined;
  private caughtUp: { expected: Map<string, number>; states: Promise<Map<string, ClientState>> } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    plan: RunPlan,
  ) {
    this.clients = plan.clients.map((c) => new RemoteClient(c, this));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.reports.push(JSON.parse(line) as Report);
      this.waiter?.();
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => this.tail.push(line) > 100 && this.tail.shift());
    child.on('exit', () => this.waiter?.());
  }

  /** Starts the clients (`prefix` runs the process elsewhere, e.g. `ip netns exec <ns>`); resolves once all are connected and sending. */
  static async start(plan: RunPlan, prefix: string[] = []): Promise<RemoteClients> {
    const [command, ...args] = [...prefix, process.execPath, script];
    const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const clients = new RemoteClients(child, plan);
    try {
      await clients.request({ type: 'start', plan }, 'ready');
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return clients;
  }

  /** Stops sending and waits until every send in flight is acknowledged or given up. */
  async stop(): Promise<void> {
    await this.request({ type: 'stop' }, 'stopped');
  }

  catchUpAll(expected: Map<string, number>, timeoutMs: number): Promise<Map<string, ClientState>> {
    if (this.caughtUp?.expected !== expected) {
      const states = this.request({ type: 'catch-up', expected: [...expected], timeoutMs }, 'state').then((r) => {
        this.lag = r.lag;
        return new Map(r.clients.map((c) => [c.label, c]));
      });
      this.caughtUp = { expected, states };
    }
    return this.caughtUp.states;
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private async request<T extends Report['type']>(command: Command, reply: T): Promise<Extract<Report, { type: T }>> {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    for (;;) {
      const next = this.reports.shift();
      if (next?.type === reply) return next as Extract<Report, { type: T }>;
      if (next?.type === 'failed') throw new Error(`flaky clients: ${next.error}`);
      if (!next && !this.alive) throw new Error(`flaky clients exited (${this.child.exitCode ?? this.child.signalCode}): ${this.tail.join('\n')}`);
      if (!next) await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * The flaky-network suite's chat clients in a process of their own, so they can run inside the
 * flaky link's network namespace (`ip netns exec ... node flaky-clients.js`). Driven over stdin and
 * stdout, one JSON object per line: `start` (connect every client, then send and cut as planned;
 * answered `ready`), `stop` (stop, wait for sends in flight; `stopped`), `catch-up` (sync every
 * client to the stored counts; `state`, with everything the delivery check and the replay figures
 * need). Closing stdin closes the clients and ends the process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
import { ChatClient, type ChatUser, type SendRecord, type SessionRecord } from './chat-client';
import { racingConnect, type RacingOptions } from './racing-connect';

export interface ClientPlan {
  label: string;
  user: ChatUser;
  conversations: string[];
  /** The gateway it dials first. */
  gateway: number;
  /** The address it connects from (its group's address on the flaky link). */
  localAddress?: string;
}

export interface RunPlan {
  clients: ClientPlan[];
  urls: string[];
  phase: string;
  /** Each client sends a message this often, open loop (not waiting for the previous acknowledgement). */
  sendEveryMs: number;
  /** Clean cuts: each client cuts its own socket about every `everyMs` (± 50 %) for `offlineMs`. */
  cuts?: { everyMs: number; offlineMs: number };
  silenceMs?: number;
  sendAfterCatchUp?: boolean;
  racing?: RacingOptions;
}

export type Command = { type: 'start'; plan: RunPlan } | { type: 'stop' } | { type: 'catch-up'; expected: [string, number][]; timeoutMs: number };

export interface ClientState {
  label: string;
  caughtUp: boolean;
  sends: SendRecord[];
  shown: [string, string[]][];
  violations: string[];
  stats: ChatClient['stats'];
  sessions: SessionRecord[];
}

/** The clients' event loop: its lag delays every timer (pings, silence checks, dials). */
export interface LoopLag {
  p99Ms: number;
  maxMs: number;
}

export type Report = { type: 'ready' } | { type: 'stopped' } | { type: 'state'; clients: ClientState[]; lag: LoopLag } | { type: 'failed'; error: string };

/** Every client must be connected this long after the start. */
const connectBoundMs = 60_000;
const report = (r: Report) => process.stdout.write(`${JSON.stringify(r)}\n`);
const jittered = (ms: number) => ms * (0.5 + Math.random());

class ClientsRun {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private running = true;

  private constructor(
    private readonly plan: RunPlan,
    readonly clients: ChatClient[],
  ) {}

  static async begin(plan: RunPlan): Promise<ClientsRun> {
    const clients = plan.clients.map(
      (c) =>
        new ChatClient(c.label, c.user, c.conversations, plan.urls, c.gateway, {
          replyTimeoutMs: 20_000,
          sendDeadlineMs: 120_000,
          silenceMs: plan.silenceMs,
          sendAfterCatchUp: plan.sendAfterCatchUp,
          socket: { localAddress: c.localAddress, createConnection: plan.racing && (racingConnect(plan.racing) as never) },
        }),
    );
    await Promise.all(clients.map((c) => c.connect()));
    // A thousand clients dialling at once through loss can take a while; each keeps retrying.
    const deadline = Date.now() + connectBoundMs;
    while (clients.some((c) => !c.connected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const offline = clients.filter((c) => !c.connected).length;
    if (offline > 0) throw new Error(`${offline} clients could not connect within ${connectBoundMs / 1000} s`);
    const run = new ClientsRun(plan, clients);
    for (const client of clients) run.drive(client);
    return run;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  async catchUp(expected: Map<string, number>, timeoutMs: number): Promise<ClientState[]> {
    const caughtUp = await Promise.all(this.clients.map((c) => c.catchUp(expected, timeoutMs)));
    return this.clients.map((c, i) => ({
      label: c.label,
      caughtUp: caughtUp[i]!,
      sends: c.sends,
      shown: [...c.shown],
      violations: c.violations.splice(0),
      stats: c.stats,
      sessions: c.sessionLog,
    }));
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  private later(ms: number, then: () => void): void {
    const timer = setTimeout(() => (this.timers.delete(timer), this.running && then()), ms);
    this.timers.add(timer);
  }

  private drive(client: ChatClient): void {
    const { phase, sendEveryMs, cuts } = this.plan;
    let n = 0;
    const send = () => {
      n++;
      const conversationId = client.conversations[n % client.conversations.length]!;
      const sent = client.send(`${phase}.${client.label}.${n}`, conversationId, `${phase} #${n} from ${client.label}`, phase);
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
      this.later(sendEveryMs, send);
    };
    this.later(Math.random() * sendEveryMs, send);
    if (!cuts) return;
    const cut = () => {
      client.cut(cuts.offlineMs);
      this.later(cuts.offlineMs + jittered(cuts.everyMs), cut);
    };
    this.later(jittered(cuts.everyMs), cut);
  }
}

async function main(): Promise<void> {
  let run: ClientsRun | undefined;
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as Command;
    try {
      if (command.type === 'start') {
        run = await ClientsRun.begin(command.plan);
        report({ type: 'ready' });
      } else if (command.type === 'stop') {
        await run!.stop();
        report({ type: 'stopped' });
      } else {
        const clients = await run!.catchUp(new Map(command.expected), command.timeoutMs);
        report({ type: 'state', clients, lag: { p99Ms: lag.percentile(99) / 1e6, maxMs: lag.max / 1e6 } });
      }
    } catch (err) {
      report({ type: 'failed', error: String((err as Error).stack ?? err) });
    }
  }
  run?.close();
  process.exit(0);
}

if (require.main === module) void main();

/**
 * Three nats-server processes in one JetStream cluster on loopback: each with its own client,
 * route and monitoring port and its own store folder, so any one can be killed -9, stopped or
 * restarted (same ports, same store) while the other two keep the quorum.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '@pneumatic/testkit';
import { connect, type JetStreamManager } from 'nats';

const natsServer = '/usr/sbin/nats-server';
const clusterName = 'pneumatic-chaos';

/** One server's copy of a stream, as its monitoring endpoint reports it. */
export interface StreamCopy {
  node: string;
  messages: number;
  lastSeq: number;
}

interface Jsz {
  account_details?: { stream_detail?: { name: string; state: { messages: number; last_seq: number } }[] }[];
}
interface Connz {
  connections?: { name?: string }[];
}

export class NatsNode {
  private child?: ChildProcess;

  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly routePort: number,
    readonly monitorPort: number,
    private readonly storeDir: string,
    private readonly routes: string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server and resolves once it answers /healthz, i.e. its JetStream is current. */
  async start(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.clientPort), '-m', String(this.monitorPort), '-n', this.name, '-js', '-sd', this.storeDir];
    args.push('--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${this.routePort}`, '--routes', this.routes.join(','));
    const child = spawn(natsServer, args, { stdio: 'ignore' });
    this.child = child;
    await this.healthy(30_000);
  }

  async healthy(timeoutMs: number): Promise<void> {
    await waitFor(`${this.name} to answer /healthz ok`, async () => {
      if (!this.running) throw new Error(`${this.name} exited`);
      const res = await this.monitor('/healthz').catch(() => undefined);
      return res?.status === 200;
    }, timeoutMs, 100);
  }

  /** kill -9: the process gets no chance to close anything. */
  kill9(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM, as a rolling restart sends it: the server shuts down in order. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  /** This server's own copy of `stream` (every server of its replica group keeps one). */
  async streamCopy(stream: string): Promise<StreamCopy | undefined> {
    const jsz = (await (await this.monitor('/jsz?accounts=true&streams=true')).json()) as Jsz;
    const detail = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
    return detail && { node: this.name, messages: detail.state.messages, lastSeq: detail.state.last_seq };
  }

  /** The names of the client connections this server holds. */
  async connectionNames(): Promise<string[]> {
    const connz = (await (await this.monitor('/connz?limit=1024')).json()) as Connz;
    return (connz.connections ?? []).map((c) => c.name ?? '');
  }

  private monitor(route: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.monitorPort}${route}`, { signal: AbortSignal.timeout(2000) });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

export class NatsCluster {
  private constructor(readonly nodes: NatsNode[]) {}

  /** Starts the three servers in `dir`, on three consecutive ports from each base. */
  static async start(dir: string, ports: { client: number; route: number; monitor: number }): Promise<NatsCluster> {
    const routeUrls = [0, 1, 2].map((i) => `nats://127.0.0.1:${ports.route + i}`);
    const nodes = [0, 1, 2].map(
      (i) => new NatsNode(`nats-${i + 1}`, ports.client + i, ports.route + i, ports.monitor + i, path.join(dir, `nats-${i + 1}`), routeUrls),
    );
    const cluster = new NatsCluster(nodes);
    // Together: a JetStream server is not healthy until it has met the others and a meta leader.
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.acceptsStreams();
    return cluster;
  }

  /** What NATS_URL holds for a service of this cluster. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  node(name: string): NatsNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no NATS node ${name}`);
    return node;
  }

  /** The server leading `stream`'s replica group (where publishes are ordered), asked of any live node. */
  async streamLeader(stream: string): Promise<string> {
    const info = await this.withClient((jsm) => jsm.streams.info(stream));
    if (!info.cluster?.leader) throw new Error(`${stream} has no leader`);
    return info.cluster.leader;
  }

  /**
   * Waits until `stream` has `replicas` copies, all on live servers, each holding the same
   * messages, and its leader reports every follower current: nothing is left to catch up.
   */
  async streamSettled(stream: string, replicas: number, timeoutMs: number): Promise<StreamCopy[]> {
    let copies: StreamCopy[] = [];
    await waitFor(`${stream} to settle on ${replicas} matching copies`, async () => {
      const live = this.nodes.filter((n) => n.running);
      copies = (await Promise.all(live.map((n) => n.streamCopy(stream).catch(() => undefined)))).filter((c): c is StreamCopy => c !== undefined);
      if (copies.length !== replicas) return false;
      if (copies.some((c) => c.messages !== copies[0]!.messages || c.lastSeq !== copies[0]!.lastSeq)) return false;
      const info = await this.withClient((jsm) => jsm.streams.info(stream)).catch(() => undefined);
      const followers = info?.cluster?.replicas ?? [];
      return followers.length === replicas - 1 && followers.every((r) => r.current && !r.offline);
    }, timeoutMs, 250);
    return copies;
  }

  /** Every connection name held by a live server (a multiset, as a sorted list). */
  async connectionNames(): Promise<string[]> {
    const live = this.nodes.filter((n) => n.running);
    return (await Promise.all(live.map((n) => n.connectionNames()))).flat().sort();
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill9()));
  }

  /** JetStream answers account requests once the cluster has a meta leader. */
  private acceptsStreams(): Promise<unknown> {
    return waitFor('the NATS cluster to accept JetStream requests', () => this.withClient((jsm) => jsm.getAccountInfo()).then(() => true, () => false), 30_000, 250);
  }

  private async withClient<T>(use: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
    const live = this.nodes.filter((n) => n.running).map((n) => n.url);
    const nc = await connect({ servers: live, name: 'chaos-observer', timeout: 2000, maxReconnectAttempts: 0 });
    try {
      return await use(await nc.jetstreamManager({ timeout: 3000 }));
    } finally {
      await nc.close();
    }
  }
}

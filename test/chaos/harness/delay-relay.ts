/**
 * Delay with jitter in userspace, because this kernel has no netem qdisc: a TCP relay on the root
 * namespace's end of the flaky link, one listening port per gateway. What a gateway sends toward a
 * client is held `delayMs ± jitterMs` (uniform) before it is written on, as `netem delay` on the
 * link's egress toward the clients would; what clients send goes straight through. A chunk is never
 * released before the one ahead of it, so a connection keeps its byte order (netem would reorder
 * packets and TCP put them back in order; here the relay's own TCP is in order by construction).
 *
 * It also records, per connection, which side closed first and when: a gateway that closes a
 * socket nobody answers is how the suite sees the server's ping detection.
 */
import net from 'node:net';

export interface DelayOptions {
  delayMs: number;
  jitterMs: number;
}

export interface RelayedConnection {
  /** The client's address (its group's address on the flaky link). */
  clientAddress: string;
  gateway: number;
  openedAt: number;
  /** When the gateway answered the upgrade (101): from then on it is a WebSocket the gateway pings. */
  upgradedAt?: number;
  /** When the gateway's side closed, if it closed first. */
  closedByGatewayAt?: number;
  /** When the client's side closed, if it closed first. */
  closedByClientAt?: number;
}

/** Writes chunks to a socket each after its own delay, never before an earlier chunk. */
class DelayedWriter {
  private readonly queue: { at: number; chunk: Buffer | 'end' }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: DelayOptions,
  ) {}

  push(chunk: Buffer | 'end'): void {
    const { delayMs, jitterMs } = this.options;
    this.lastAt = Math.max(this.lastAt, Date.now() + delayMs + (Math.random() * 2 - 1) * jitterMs);
    this.queue.push({ at: this.lastAt, chunk });
    if (!this.timer) this.schedule();
  }

  discard(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private schedule(): void {
    const head = this.queue[0];
    this.timer = head && setTimeout(() => this.release(), Math.max(0, head.at - Date.now()));
  }

  private release(): void {
    while (this.queue.length > 0 && this.queue[0]!.at <= Date.now()) {
      const { chunk } = this.queue.shift()!;
      if (chunk === 'end') this.socket.end();
      else this.socket.write(chunk);
    }
    this.schedule();
  }
}

export class DelayRelay {
  readonly connections: RelayedConnection[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly servers: net.Server[],
    readonly listenAddress: string,
  ) {}

  /** Listens on `listenAddress`, one port per gateway port in `gatewayPorts` (gateways on 127.0.0.1). */
  static async start(listenAddress: string, gatewayPorts: number[], options: DelayOptions): Promise<DelayRelay> {
    const servers = gatewayPorts.map(() => net.createServer());
    const relay = new DelayRelay(servers, listenAddress);
    await Promise.all(
      servers.map((server, gateway) => {
        server.on('connection', (client) => relay.relay(client, gateway, gatewayPorts[gateway]!, options));
        return new Promise<void>((resolve) => server.listen(0, listenAddress, resolve));
      }),
    );
    return relay;
  }

  wsUrls(): string[] {
    return this.servers.map((s) => `ws://${this.listenAddress}:${(s.address() as net.AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  private relay(client: net.Socket, gateway: number, port: number, options: DelayOptions): void {
    const record: RelayedConnection = { clientAddress: client.remoteAddress ?? '', gateway, openedAt: Date.now() };
    this.connections.push(record);
    const upstream = net.connect({ host: '127.0.0.1', port });
    const toClient = new DelayedWriter(client, options);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined); // 'close' follows
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (record.upgradedAt === undefined && chunk.subarray(0, 12).toString() === 'HTTP/1.1 101') record.upgradedAt = Date.now();
      toClient.push(chunk);
    });
    // A close travels the same way as data: the gateway's after its last bytes, the client's at once.
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      if (record.closedByClientAt === undefined) record.closedByGatewayAt ??= Date.now();
      toClient.push('end');
    });
    client.on('close', () => {
      this.sockets.delete(client);
      if (record.closedByGatewayAt === undefined) record.closedByClientAt ??= Date.now();
      toClient.discard();
      upstream.destroy();
    });
  }
}

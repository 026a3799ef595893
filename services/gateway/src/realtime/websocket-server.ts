import type { Logger } from '@pneumatic/platform';
import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AccessTokenVerifier } from '../auth/access-tokens';
import type { Connection, ConnectionRegistry } from '../domain/connection-registry';
import { bearerToken } from '../http/authenticate';
import { originAllowed } from '../http/cors';
import type { Fanout } from './fanout';
import type { GatewayMetrics } from './gateway-metrics';
import type { PresenceReporter } from './presence-reporter';
import { SocketSession, type SessionDeps } from './socket-session';

export interface RealtimeDeps extends SessionDeps {
  verifier: AccessTokenVerifier;
  registry: ConnectionRegistry;
  fanout: Fanout;
  presence: PresenceReporter;
  metrics: GatewayMetrics;
  logger: Logger;
  allowedOrigins: string[];
  /** A socket whose unsent data passes this is too slow to keep up and is closed. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
}

/** Close codes the protocol documents (README, "WebSocket"). */
export const closeCodes = { policy: 1008, restart: 1012, tooSlow: 4008 } as const;

/** Hard cap on one frame; the protocol's 16 KiB limit is answered with an error below it. */
const maxPayloadBytes = 1024 * 1024;

/** Terminates WebSockets on /ws: authenticates, registers the socket, and hands frames to its session. */
export class RealtimeServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes });
  private readonly alive = new WeakSet<WebSocket>();
  private pinger: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RealtimeDeps) {}

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.pinger = setInterval(() => this.reapDeadSockets(), this.deps.pingIntervalMs);
    this.pinger.unref();
  }

  /** Stops the pinger and asks every client to reconnect elsewhere (1012: service restart). */
  closeAll(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.close(closeCodes.restart, 'server restarting, reconnect');
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== '/ws') return void socket.destroy();
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, req, url));
  }

  // A browser cannot read an HTTP refusal, so a refused socket is accepted and closed with a reason.
  // Listeners are attached at once: frames sent while the token is checked wait instead of being lost.
  private accept(ws: WebSocket, req: IncomingMessage, url: URL): void {
    const session = this.authenticate(ws, req, url);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      void session.then((s) => s?.receive(text, bytes));
    });
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (err) => this.deps.logger.debug({ err }, 'socket error'));
    ws.on('close', () => void session.then((s) => s && this.unregister(s.connection)));
    this.alive.add(ws);
  }

  private async authenticate(ws: WebSocket, req: IncomingMessage, url: URL): Promise<SocketSession | undefined> {
    const { deps } = this;
    if (!originAllowed(deps.allowedOrigins, req.headers.origin)) {
      ws.close(closeCodes.policy, 'origin not allowed');
      return undefined;
    }
    let claims;
    try {
      claims = await deps.verifier.verify(url.searchParams.get('token') ?? bearerToken(req.headers.authorization));
    } catch (err) {
      ws.close(closeCodes.policy, `authentication failed: ${(err as Error).message}`.slice(0, 120));
      return undefined;
    }
    const connection: Connection = {
      id: randomUUID(),
      userId: claims.userId,
      username: claims.username,
      joined: new Set(),
      send: (data) => this.sendTo(ws, data),
    };
    await this.register(connection);
    return new SocketSession(connection, deps);
  }

  private async register(connection: Connection): Promise<void> {
    const { registry, fanout, presence, metrics, logger } = this.deps;
    registry.add(connection);
    metrics.connectionsTotal.inc();
    metrics.connectionsActive.set(registry.size);
    presence.connected(connection.id, connection.userId);
    await fanout.watchUser(connection.userId).catch((err) => logger.warn({ err }, 'could not load conversations for a socket'));
  }

  private unregister(connection: Connection): void {
    const { registry, fanout, presence, metrics } = this.deps;
    const { lastForUser, abandoned } = registry.remove(connection);
    if (lastForUser) fanout.forgetUser(connection.userId, abandoned);
    presence.disconnected(connection.id, connection.userId);
    metrics.connectionsActive.set(registry.size);
  }

  private sendTo(ws: WebSocket, data: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.deps.logger.warn('closing a socket that cannot keep up');
      return ws.close(closeCodes.tooSlow, 'client too slow, send buffer full');
    }
    ws.send(data);
  }

  private reapDeadSockets(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

import { DomainError, contracts, type SessionEnded } from '@pneumatic/contracts';
import type { Logger } from '@pneumatic/platform';
import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AccessTokenVerifier, SessionCheck } from '../auth/access-tokens';
import type { Connection, ConnectionRegistry } from '../domain/connection-registry';
import type { FrameBudgets } from '../domain/frame-budgets';
import { bearerToken } from '../http/authenticate';
import { originAllowed } from '../http/cors';
import type { SecurityEvents } from '../http/security-events';
import { clientAddress, type TrustedProxies } from '../http/trusted-proxies';
import { closeCodes } from './close-codes';
import { drainPace, type DrainSettings } from './drain-pace';
import type { Fanout } from './fanout';
import type { GatewayMetrics } from './gateway-metrics';
import type { PresenceReporter } from './presence-reporter';
import type { SocketCap } from './socket-cap';
import { SocketSession, type FrameAdmission, type SessionDeps } from './socket-session';
import { TurnWrites } from './turn-writes';
import type { UpgradeLimiter } from './upgrade-limits';

export interface RealtimeDeps extends SessionDeps {
  verifier: AccessTokenVerifier;
  sessions: SessionCheck;
  registry: ConnectionRegistry;
  fanout: Fanout;
  presence: PresenceReporter;
  metrics: GatewayMetrics;
  logger: Logger;
  allowedOrigins: string[];
  trustedProxies: TrustedProxies;
  securityEvents: SecurityEvents;
  upgradeLimits: UpgradeLimiter;
  socketCap: SocketCap;
  /** One frame allowance per user, shared by the user's sockets on this gateway. */
  frameBudgets: FrameBudgets;
  /** A socket whose unsent data passes this is too slow to keep up and is closed. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
  /** How a draining gateway spreads its closes; it waits for clients to go until the window ends. */
  drain: DrainSettings;
}

/** Hard cap on one frame; the protocol's 16 KiB limit is answered with an error below it. */
const maxPayloadBytes = 1024 * 1024;
/** A slow client's close frame waits behind its backlog; past this it is cut off. */
const slowCloseGraceMs = 10_000;
/** After the last 1012 of a drain, clients get at least this long to answer before they are cut off. */
const lastCloseGraceMs = 1000;
const sessionEndedReason: Record<SessionEnded['reason'], string> = {
  logout: 'session ended: logged out',
  refresh_token_reuse: 'session ended: refresh token reused',
};
const scopedPath = /^\/conversations\/([0-9a-fA-F-]{36})\/ws$/;

type Route = { scope?: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Terminates WebSockets on /ws and /conversations/{id}/ws: authenticates, registers, hands frames to a session. */
export class RealtimeServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes });
  private readonly alive = new WeakSet<WebSocket>();
  private readonly turnWrites = new TurnWrites();
  private pinger: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(private readonly deps: RealtimeDeps) {}

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.pinger = setInterval(() => this.reapDeadSockets(), this.deps.pingIntervalMs);
    this.pinger.unref();
  }

  /** False from the start of a drain: /ready says so, and new sockets are closed 1012 at once. */
  get accepting(): boolean {
    return !this.draining;
  }

  /**
   * Stops accepting, asks every client to reconnect elsewhere (1012: service restart) at the drain
   * pace, and waits for them to go until the drain window ends (at least `lastCloseGraceMs` after
   * the last close); whoever is left is cut off.
   */
  async drain(): Promise<void> {
    this.draining = true;
    clearInterval(this.pinger);
    const started = Date.now();
    const waiting = [...this.wss.clients];
    const { batch, intervalMs } = drainPace(waiting.length, this.deps.drain);
    for (let n = 0; waiting.length > 0; n++) {
      await sleep(started + n * intervalMs - Date.now());
      for (const ws of waiting.splice(0, batch)) ws.close(closeCodes.restart, 'server restarting, reconnect');
    }
    const deadline = Math.max(started + this.deps.drain.windowMs, Date.now() + lastCloseGraceMs);
    while (this.wss.clients.size > 0 && Date.now() < deadline) await sleep(50);
    for (const ws of this.wss.clients) ws.terminate();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // An absolute-form target such as `http://[/ws` makes `new URL` throw, which would end the process.
    const url = URL.parse(req.url ?? '/', 'http://gateway');
    if (!url) return void socket.destroy();
    const scoped = scopedPath.exec(url.pathname);
    if (url.pathname !== '/ws' && !scoped) return void socket.destroy();
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.draining) return ws.close(closeCodes.restart, 'server restarting, reconnect');
      this.accept(ws, socket, req, url, { scope: scoped?.[1]?.toLowerCase() });
    });
  }

  // A browser cannot read an HTTP refusal, so a refused socket is accepted and closed with a reason.
  // Listeners are attached at once: frames sent while the token is checked wait instead of being lost.
  private accept(ws: WebSocket, socket: Duplex, req: IncomingMessage, url: URL, route: Route): void {
    const session = this.authenticate(ws, socket, req, url, route).catch((err) => {
      this.deps.logger.warn({ err }, 'could not open a socket');
      ws.close(1011, 'internal error');
      return undefined;
    });
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      void session.then((s) => s?.receive(text, bytes));
    });
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (err) => this.deps.logger.debug({ err }, 'socket error'));
    ws.on('close', () => void session.then((s) => s && this.unregister(s)));
    this.alive.add(ws);
  }

  private async authenticate(ws: WebSocket, socket: Duplex, req: IncomingMessage, url: URL, { scope }: Route): Promise<SocketSession | undefined> {
    const { deps } = this;
    const refuse = (code: number, reason: string) => (ws.close(code, reason.slice(0, 120)), undefined);
    const client = clientAddress(req, deps.trustedProxies);
    // Every attempt counts against its address, before the token costs a verification.
    const addressRefusal = await deps.upgradeLimits.byAddress(client);
    if (addressRefusal) {
      deps.securityEvents.record('upgrade_rate_limited', { client });
      return refuse(closeCodes.tryAgainLater, addressRefusal);
    }
    if (!originAllowed(deps.allowedOrigins, req.headers.origin)) return refuse(closeCodes.policy, 'origin not allowed');
    let claims;
    try {
      claims = await deps.verifier.verify(url.searchParams.get('token') ?? bearerToken(req.headers.authorization));
    } catch (err) {
      deps.securityEvents.record('token_invalid', { client });
      return refuse(scope ? closeCodes.badToken : closeCodes.policy, `authentication failed: ${(err as Error).message}`);
    }
    const userRefusal = await deps.upgradeLimits.byUser(claims.userId);
    if (userRefusal) {
      deps.securityEvents.record('upgrade_rate_limited', { client, user_id: claims.userId });
      return refuse(closeCodes.tryAgainLater, userRefusal);
    }
    if (scope) {
      const refusal = await this.checkScope(scope, claims.userId);
      if (refusal?.code === closeCodes.notMember) deps.securityEvents.record('not_a_member', { client, user_id: claims.userId });
      if (refusal) return refuse(refusal.code, refusal.reason);
    }
    if (ws.readyState !== WebSocket.OPEN) return undefined;
    const slot = { userId: claims.userId, socketId: randomUUID() };
    if (!(await deps.socketCap.admit(slot))) {
      deps.securityEvents.record('socket_cap_reached', { client, user_id: claims.userId });
      return refuse(closeCodes.tryAgainLater, `too many open sockets: at most ${deps.socketCap.settings.maxPerUser} per user`);
    }
    // Closed while the slot was taken: nothing will release it on close, so it is given back here.
    if (ws.readyState !== WebSocket.OPEN) return void deps.socketCap.release(slot);
    const connection: Connection = {
      id: slot.socketId,
      userId: claims.userId,
      username: claims.username,
      joined: new Set(scope ? [scope] : []),
      scope,
      sessionId: claims.sessionId,
      expiresAt: claims.expiresAt,
      send: (data) => this.sendTo(ws, socket, data),
      close: (code, reason) => ws.close(code, reason),
      isOpen: () => ws.readyState === WebSocket.OPEN,
    };
    await this.register(connection);
    // The session may have ended while the socket was being set up, after the notice went by.
    if (await deps.sessions.hasEnded(connection.sessionId)) connection.close(closeCodes.policy, 'session ended');
    if (scope) connection.send(JSON.stringify({ type: 'connection', status: 'connected', conversation_id: scope, user_id: claims.userId }));
    return new SocketSession(connection, deps, this.frameAdmission(connection.userId, client));
  }

  /** Frames of a user draw on one budget; a flood is reported as a security event once per interval. */
  private frameAdmission(userId: string, client: string): FrameAdmission {
    return () => {
      const verdict = this.deps.frameBudgets.take(userId, Date.now());
      if (verdict === 'refused_reported') this.deps.securityEvents.record('frame_rate_limited', { client, user_id: userId });
      return verdict === 'allowed';
    };
  }

  /** Closes every socket of a login session that ended (logout or refresh-token reuse). */
  endSession({ session_id, reason }: SessionEnded): void {
    for (const connection of this.deps.registry.sessionSockets(session_id)) connection.close(closeCodes.policy, sessionEndedReason[reason]);
  }

  /** A scoped socket needs an existing conversation the user belongs to (seed 003's 4004 / 4003). */
  private async checkScope(conversationId: string, userId: string): Promise<{ code: number; reason: string } | undefined> {
    try {
      const conversation = await this.deps.bus.call(contracts.conversationsGet, { actor_id: userId, conversation_id: conversationId });
      this.deps.directory.set(conversationId, conversation.members);
      return undefined;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.code === 'not_found') return { code: closeCodes.noConversation, reason: 'no such conversation' };
      if (err.code === 'not_a_member') return { code: closeCodes.notMember, reason: 'not a member of this conversation' };
      throw err;
    }
  }

  private async register(connection: Connection): Promise<void> {
    const { registry, fanout, presence, metrics, logger } = this.deps;
    registry.add(connection);
    metrics.connectionsTotal.inc();
    metrics.connectionsActive.set(registry.size);
    presence.connected(connection.id, connection.userId);
    if (connection.scope) fanout.follow(connection.scope, connection.userId);
    await fanout.watchUser(connection.userId).catch((err) => logger.warn({ err }, 'could not load conversations for a socket'));
  }

  private unregister(session: SocketSession): void {
    const { registry, fanout, presence, metrics, socketCap, frameBudgets } = this.deps;
    const { connection } = session;
    session.closed();
    socketCap.release({ userId: connection.userId, socketId: connection.id });
    const { lastForUser, abandoned } = registry.remove(connection);
    if (lastForUser) {
      fanout.forgetUser(connection.userId, abandoned);
      frameBudgets.forget(connection.userId);
    }
    presence.disconnected(connection.id, connection.userId);
    metrics.connectionsActive.set(registry.size);
  }

  /**
   * Never waits on a client: a socket whose backlog passed the bound is closed (4008) and, if its
   * close frame cannot get through either, cut off; everyone else's frames go out meanwhile.
   */
  private sendTo(ws: WebSocket, socket: Duplex, data: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.deps.logger.warn({ buffered: ws.bufferedAmount }, 'closing a socket that cannot keep up');
      this.deps.metrics.slowConsumersClosed.inc();
      ws.close(closeCodes.tooSlow, 'client too slow, send buffer full');
      setTimeout(() => ws.terminate(), slowCloseGraceMs).unref();
      return;
    }
    this.turnWrites.hold(socket);
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
